//! Log writers: one module per output format. A writer renders, for one output file, the
//! records that fall in it (already in time order) into bytes.
//!
//! Architecture invariant: writers format; they decide nothing. What happened (which login,
//! which host logs which event, when) is decided by [`crate::emit`].

pub mod lanl;
pub mod sshd;
pub mod winjson;
pub mod zeek;

use crate::login::Login;
use crate::rng::{key, Stream};
use crate::world::World;

/// What a record is: one line of one file, caused by one login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    SshInvalidUser,
    SshAuth,
    SshSessionOpened,
    SshSessionClosed,
    Win4768,
    Win4769,
    Win4776,
    Win4648,
    Win4672,
    /// 4624 or 4625.
    WinLogon,
    Win7045,
    Win4634,
    LanlLogOn,
    LanlLogOff,
    ZeekConn,
    ZeekSsh,
    /// `sudo: USER : TTY=... ; USER=root ; COMMAND=/bin/bash`.
    SudoCommand,
    /// `sudo[pid]: pam_unix(sudo:session): session opened for user root(uid=0) by USER(uid=N)`.
    SudoSession,
}

impl Kind {
    /// Record kinds there are (the length of per-kind counters).
    pub const COUNT: usize = Kind::SudoSession as usize + 1;
}

/// One line to write: sorted by (file, time, login, kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rec {
    pub file: u32,
    pub time: i64,
    /// Index into the chunk's logins.
    pub login: u32,
    pub kind: Kind,
}

/// Strings every writer needs, computed once per run.
pub struct Ctx<'a> {
    pub w: &'a World,
    /// Host short names (`jp-crm-01`).
    pub host: Vec<String>,
    /// Upper-case short names (`JP-CRM-01`), as Windows writes workstation names.
    pub host_upper: Vec<String>,
    /// `JP-CRM-01.corp.example`.
    pub fqdn: Vec<String>,
    /// Private address as text.
    pub ip: Vec<String>,
    /// Unix seconds that LANL time 0 stands for.
    pub lanl_start: i64,
}

impl<'a> Ctx<'a> {
    pub fn new(w: &'a World, lanl_start: i64) -> Ctx<'a> {
        let f = &w.fleet;
        Ctx {
            w,
            host: f.hosts.iter().map(|h| h.name.clone()).collect(),
            host_upper: f.hosts.iter().map(|h| h.name.to_ascii_uppercase()).collect(),
            fqdn: f.ids().map(|h| f.fqdn_upper(h)).collect(),
            ip: f.hosts.iter().map(|h| h.ip.to_string()).collect(),
            lanl_start,
        }
    }

    /// A 64-bit value derived from a login: logon ids, pids, connection uids.
    pub fn derive(&self, l: &Login, salt: u64) -> u64 {
        key(self.w.seed, Stream::Ids, l.uid, salt)
    }

    /// The source address of a login as text (`None` for local logins).
    pub fn src_ip<'s>(&'s self, l: &Login, buf: &'s mut String) -> Option<&'s str> {
        match l.src {
            crate::login::Src::Local => None,
            crate::login::Src::Host(h) => Some(&self.ip[h as usize]),
            crate::login::Src::External(ip) => {
                use std::fmt::Write;
                buf.clear();
                let _ = write!(buf, "{ip}");
                Some(buf.as_str())
            }
        }
    }
}

/// Append a decimal number.
pub fn num(out: &mut Vec<u8>, n: impl itoa::Integer) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(n).as_bytes());
}

/// Append `s` as the inside of a JSON string (escaping `"`, `\` and control characters).
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    // fast path: host, account and field values rarely need escaping
    if !s.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    for &c in s.as_bytes() {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c if c < 0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[(c >> 4) as usize]);
                out.push(b"0123456789abcdef"[(c & 15) as usize]);
            }
            c => out.push(c),
        }
    }
}
