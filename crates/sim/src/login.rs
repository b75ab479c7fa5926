//! A login as the simulator thinks of it, before any log format: who, from where, to
//! where, how, and for how long. Writers turn one login into the lines each format writes.

use std::net::Ipv4Addr;

use hopscope_model::LogonType;

/// Where a login comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// At the host itself (console, unlock, scheduled task, service).
    Local,
    /// Another fleet host.
    Host(u32),
    /// An internet address.
    External(Ipv4Addr),
}

/// How the login is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    SshPassword,
    SshPublickey,
    /// RDP (logon type 10), Kerberos via Negotiate.
    Rdp,
    /// SMB / WinRM / RPC with Kerberos (logon type 3).
    NetworkKerberos,
    /// SMB / RPC with NTLM (logon type 3), e.g. from a non-domain host or with a hash.
    NetworkNtlm,
    /// At the console (logon type 2).
    Console,
    /// Workstation unlock (logon type 7).
    Unlock,
    /// Scheduled task (logon type 4).
    Batch,
    /// Service start (logon type 5).
    Service,
}

impl Method {
    pub fn logon_type(self) -> LogonType {
        match self {
            Method::SshPassword | Method::SshPublickey | Method::Rdp => {
                LogonType::RemoteInteractive
            }
            Method::NetworkKerberos | Method::NetworkNtlm => LogonType::Network,
            Method::Console => LogonType::Interactive,
            Method::Unlock => LogonType::Unlock,
            Method::Batch => LogonType::Batch,
            Method::Service => LogonType::Service,
        }
    }
    pub fn is_ssh(self) -> bool {
        matches!(self, Method::SshPassword | Method::SshPublickey)
    }
    pub fn is_local(self) -> bool {
        matches!(self, Method::Console | Method::Unlock | Method::Batch | Method::Service)
    }
    pub fn uses_kerberos(self) -> bool {
        matches!(self, Method::Rdp | Method::NetworkKerberos | Method::Console)
    }
    /// Protocol name in truth.json and the LANL auth-type column.
    pub fn protocol(self) -> &'static str {
        match self {
            Method::SshPassword | Method::SshPublickey => "ssh",
            Method::Rdp => "rdp",
            Method::NetworkKerberos | Method::NetworkNtlm => "smb",
            Method::Console | Method::Unlock => "console",
            Method::Batch => "batch",
            Method::Service => "service",
        }
    }
    /// Authentication: `password`, `publickey`, `Kerberos`, `NTLM`, `Negotiate`.
    pub fn auth(self) -> &'static str {
        match self {
            Method::SshPassword => "password",
            Method::SshPublickey => "publickey",
            Method::Rdp | Method::Console | Method::Unlock | Method::Batch | Method::Service => {
                "Negotiate"
            }
            Method::NetworkKerberos => "Kerberos",
            Method::NetworkNtlm => "NTLM",
        }
    }
}

/// Flag bits on a login.
pub mod flag {
    /// First domain logon of the day: a TGT request (4768) at the domain controller.
    pub const TGT: u8 = 1;
    /// Explicit credentials on the source (4648), e.g. RDP with another account.
    pub const EXPLICIT: u8 = 2;
    /// A service was installed right after (7045, PsExec-style).
    pub const SERVICE_INSTALL: u8 = 4;
    /// The account does not exist on the destination (sshd "Invalid user").
    pub const INVALID_USER: u8 = 8;
    /// Part of an injected intrusion (never written to a log; truth only).
    pub const MALICIOUS: u8 = 16;
    /// After logging in to a Linux host, the account became `root` there with `sudo` (sudo's
    /// own line and its PAM session line in the host's auth.log, seconds later).
    pub const SUDO: u8 = 32;
}

/// One login (successful or failed).
#[derive(Clone, Copy, Debug)]
pub struct Login {
    /// UTC microseconds.
    pub time: i64,
    /// Stable id: logon ids, ports and pids derive from it.
    pub uid: u64,
    pub src: Src,
    pub dst: u32,
    pub account: u32,
    /// The account already logged on at the source (explicit-credential 4648 events name
    /// it); usually the same as `account`.
    pub subject: u32,
    pub method: Method,
    pub ok: bool,
    pub flags: u8,
    /// Session length in seconds (successful logins); the logoff is written then.
    pub duration: u32,
    pub src_port: u16,
}

impl Login {
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}
