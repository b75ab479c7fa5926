//! Local credential switches: on one host, one account becomes another (`sudo`, `su`,
//! `pkexec`, `runuser`; Windows explicit credentials and `runas /netonly`).
//!
//! A switch is what links the login into a host to the login out of it when the two use
//! different accounts: "opsadmin logged in to sg-ops-03, became root with sudo, and root
//! logged in to th-app-02". The Linux programs' lines are stored as rows with
//! [`Orientation::Switch`]; Windows writes its own records of a switch as logons (4648 with
//! the explicit credentials' account, 4624 logon type 9 with the outbound account), which
//! keep their logon orientation and are read as switches here too (docs/formats-sshd.md,
//! docs/formats-windows.md).

use crate::{EventTable, Evidence, LogonType, Orientation, Outcome, SourceFormat, Time};

/// Which kind of record a switch was read from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum SwitchKind {
    /// A program's own line or its PAM session line (`sudo`, `su`, `pkexec`, `runuser`): the
    /// event's authentication label names the program.
    Program,
    /// Windows 4648: a process of `from` used `to`'s credentials explicitly, on the host itself
    /// or towards another server (then the same record is also a source-side hop).
    ExplicitCredentials,
    /// Windows 4624 logon type 9 (`runas /netonly`, pass-the-hash tools): a logon session of
    /// `from` that uses `to`'s credentials for what it reaches over the network.
    NewCredentials,
}

impl SwitchKind {
    /// The name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            SwitchKind::Program => "program",
            SwitchKind::ExplicitCredentials => "explicit-credentials",
            SwitchKind::NewCredentials => "new-credentials",
        }
    }
}

/// One credential switch on a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CredentialSwitch {
    pub time: Time,
    /// The host the switch happened on.
    pub host: u32,
    /// The account before the switch (0: the record names none, e.g. `by (uid=1000)`).
    pub from: u32,
    /// The account after it.
    pub to: u32,
    pub outcome: Outcome,
    pub kind: SwitchKind,
    /// The authentication label (the program for [`SwitchKind::Program`]; 0 when none).
    pub method: u32,
    pub format: SourceFormat,
    pub evidence: Evidence,
}

const SWITCH: u8 = Orientation::Switch as u8;
const LOGON: u8 = Orientation::LogOn as u8;
const SUCCESS: u8 = Outcome::Success as u8;
const NEW_CREDENTIALS: u8 = LogonType::NewCredentials as u8;

impl CredentialSwitch {
    /// Row `i` of `t` as a credential switch, when it records one: a row with orientation
    /// `switch`, a successful 4648 (on its logging host, the source), or a successful logon
    /// of type 9. Rows naming no target account, no host, or the same account at both ends
    /// are none.
    #[inline]
    pub fn from_row(t: &EventTable, i: usize) -> Option<CredentialSwitch> {
        let orientation = t.orientation[i];
        let (kind, host) = if orientation == SWITCH {
            (SwitchKind::Program, t.dst_host[i])
        } else if orientation == LOGON && t.outcome[i] == SUCCESS {
            if t.event_id[i] == 4648 {
                (SwitchKind::ExplicitCredentials, t.src_host[i])
            } else if t.logon_type[i] == NEW_CREDENTIALS {
                (SwitchKind::NewCredentials, t.dst_host[i])
            } else {
                return None;
            }
        } else {
            return None;
        };
        let (from, to) = (t.src_user[i], t.user[i]);
        if host == 0 || to == 0 || from == to {
            return None;
        }
        Some(CredentialSwitch {
            time: Time(t.time[i]),
            host,
            from,
            to,
            outcome: Outcome::from_code(t.outcome[i]).unwrap_or_default(),
            kind,
            method: t.auth[i],
            format: SourceFormat::from_code(t.format[i]).unwrap_or_default(),
            evidence: Evidence::of_row(t, i),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventFlags, Position};

    fn row(orientation: Orientation, event_id: u16, logon_type: LogonType) -> Event {
        Event {
            time: Time(5),
            src_host: 4,
            src_ip: 0,
            dst_host: 3,
            dst_ip: 0,
            user: 2,
            src_user: 1,
            auth: 7,
            logon_type,
            outcome: Outcome::Success,
            orientation,
            format: SourceFormat::Sshd,
            event_id,
            flags: EventFlags::default(),
            evidence: Evidence { source: 1, position: Position::Line(9) },
        }
    }

    fn read(e: Event) -> Option<CredentialSwitch> {
        let mut t = EventTable::default();
        t.push(&e);
        CredentialSwitch::from_row(&t, 0)
    }

    #[test]
    fn program_lines_switch_on_the_logging_host() {
        let s = read(row(Orientation::Switch, 0, LogonType::Unknown)).expect("a switch row");
        assert_eq!((s.host, s.from, s.to, s.kind, s.method), (3, 1, 2, SwitchKind::Program, 7));
        assert_eq!(s.evidence.position, Position::Line(9));
        let failed =
            Event { outcome: Outcome::Failure, ..row(Orientation::Switch, 0, LogonType::Unknown) };
        assert_eq!(read(failed).map(|s| s.outcome), Some(Outcome::Failure));
        // an unnamed account before is kept; no account after, or the same one, is no switch
        assert!(read(Event { src_user: 0, ..row(Orientation::Switch, 0, LogonType::Unknown) })
            .is_some());
        assert!(
            read(Event { user: 0, ..row(Orientation::Switch, 0, LogonType::Unknown) }).is_none()
        );
        assert!(
            read(Event { user: 1, ..row(Orientation::Switch, 0, LogonType::Unknown) }).is_none()
        );
    }

    #[test]
    fn windows_records_of_a_switch_are_read_where_windows_wrote_them() {
        let explicit = read(row(Orientation::LogOn, 4648, LogonType::Unknown)).expect("4648");
        assert_eq!((explicit.host, explicit.kind), (4, SwitchKind::ExplicitCredentials));
        let netonly =
            read(row(Orientation::LogOn, 4624, LogonType::NewCredentials)).expect("type 9");
        assert_eq!((netonly.host, netonly.kind), (3, SwitchKind::NewCredentials));
        // an ordinary logon, or a failed one, is no switch
        assert!(read(row(Orientation::LogOn, 4624, LogonType::Network)).is_none());
        assert!(read(Event {
            outcome: Outcome::Failure,
            ..row(Orientation::LogOn, 4648, LogonType::Unknown)
        })
        .is_none());
    }
}
