//! LANL 2015 `auth.txt` for the whole fleet: one `LogOn` line per login and one `LogOff`
//! line when a session ends.
//!
//! `time,src_user@domain,dst_user@domain,src_computer,dst_computer,auth_type,logon_type,orientation,outcome`
//! with time in whole seconds since `lanl_start` (written in truth.json; pass it to
//! `--lanl-start`). Domain accounts are `@CORP`; local Linux accounts carry the destination
//! host as their domain (LANL's convention for local accounts). Internet sources are written
//! as their address; local logins name the destination as the source.

use crate::login::{Login, Src};
use crate::people::AccountKind;
use crate::writers::{num, Ctx, Kind, Rec};

fn logon_type(l: &Login) -> &'static [u8] {
    use hopscope_model::LogonType as T;
    match l.method.logon_type() {
        T::Network => b"Network",
        T::RemoteInteractive => b"RemoteInteractive",
        T::Interactive => b"Interactive",
        T::Unlock => b"Unlock",
        T::Batch => b"Batch",
        T::Service => b"Service",
        _ => b"?",
    }
}

fn account(ctx: &Ctx<'_>, out: &mut Vec<u8>, acct: u32, dst: u32) {
    let a = ctx.w.people.get(acct);
    out.extend_from_slice(a.name.as_bytes());
    out.push(b'@');
    match (&a.domain, a.kind) {
        (Some(d), _) => out.extend_from_slice(d.as_bytes()),
        (None, AccountKind::Local | AccountKind::Guess) => {
            out.extend_from_slice(ctx.host_upper[dst as usize].as_bytes())
        }
        _ => out.push(b'?'),
    }
}

/// Render the fleet's `auth.txt` records.
pub fn render(ctx: &Ctx<'_>, recs: &[Rec], logins: &[Login], out: &mut Vec<u8>) {
    let mut ipbuf = String::new();
    for r in recs {
        let l = &logins[r.login as usize];
        num(out, (r.time / 1_000_000 - ctx.lanl_start).max(0));
        out.push(b',');
        account(ctx, out, l.subject, l.dst);
        out.push(b',');
        account(ctx, out, l.account, l.dst);
        out.push(b',');
        match l.src {
            Src::Local => out.extend_from_slice(ctx.host[l.dst as usize].as_bytes()),
            Src::Host(h) => out.extend_from_slice(ctx.host[h as usize].as_bytes()),
            Src::External(_) => {
                out.extend_from_slice(ctx.src_ip(l, &mut ipbuf).unwrap_or("?").as_bytes())
            }
        }
        out.push(b',');
        out.extend_from_slice(ctx.host[l.dst as usize].as_bytes());
        out.push(b',');
        out.extend_from_slice(l.method.auth().as_bytes());
        out.push(b',');
        out.extend_from_slice(logon_type(l));
        out.extend_from_slice(if r.kind == Kind::LanlLogOff { b",LogOff," } else { b",LogOn," });
        out.extend_from_slice(if l.ok || r.kind == Kind::LanlLogOff {
            b"Success\n"
        } else {
            b"Fail\n"
        });
    }
}
