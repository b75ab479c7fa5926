//! Tampering with a host's own logging, and silence in its logs: events of their own kind.
//!
//! Four are written by Windows itself and stored in a case as rows of the [`EventTable`] with
//! [`Orientation::Tampering`] (the event id says which); two are read from the shape of a
//! host's log stream (it falls silent for longer than its usual rhythm, or its clock jumps
//! back) and are derived when a case is analysed, never stored (docs/coverage.md).

use crate::{EventTable, Evidence, Orientation, SourceFormat, Time};

/// What happened to a host's logs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TamperKind {
    /// Windows 1102: the Security log was cleared.
    SecurityLogCleared,
    /// Windows 104: the System log (or another channel other than Security) was cleared.
    SystemLogCleared,
    /// Windows 4719: the system audit policy was changed.
    AuditPolicyChanged,
    /// Windows 1100: the event logging service shut down.
    EventLogServiceStopped,
    /// A host's log stream fell silent for longer than its usual rhythm (derived).
    LogStopped,
    /// A host's log stream jumped back in time (derived).
    ClockJumpedBack,
}

impl TamperKind {
    pub const ALL: [TamperKind; 6] = [
        TamperKind::SecurityLogCleared,
        TamperKind::SystemLogCleared,
        TamperKind::AuditPolicyChanged,
        TamperKind::EventLogServiceStopped,
        TamperKind::LogStopped,
        TamperKind::ClockJumpedBack,
    ];

    /// The name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            TamperKind::SecurityLogCleared => "security-log-cleared",
            TamperKind::SystemLogCleared => "system-log-cleared",
            TamperKind::AuditPolicyChanged => "audit-policy-changed",
            TamperKind::EventLogServiceStopped => "event-log-service-stopped",
            TamperKind::LogStopped => "log-stopped",
            TamperKind::ClockJumpedBack => "clock-jumped-back",
        }
    }

    /// The Windows event id that reports it, for the kinds Windows writes.
    pub fn event_id(self) -> Option<u16> {
        match self {
            TamperKind::SecurityLogCleared => Some(1102),
            TamperKind::SystemLogCleared => Some(104),
            TamperKind::AuditPolicyChanged => Some(4719),
            TamperKind::EventLogServiceStopped => Some(1100),
            TamperKind::LogStopped | TamperKind::ClockJumpedBack => None,
        }
    }

    /// The kind a stored tampering event's id names.
    pub fn from_event_id(id: u16) -> Option<TamperKind> {
        TamperKind::ALL.into_iter().find(|k| k.event_id() == Some(id))
    }

    /// What happened, as the rest of a sentence that begins with the host's name
    /// ("th-app-02's Security log was cleared").
    pub fn phrase(self) -> &'static str {
        match self {
            TamperKind::SecurityLogCleared => "Security log was cleared",
            TamperKind::SystemLogCleared => "System log (or another event log) was cleared",
            TamperKind::AuditPolicyChanged => "audit policy was changed",
            TamperKind::EventLogServiceStopped => "event log service was stopped",
            TamperKind::LogStopped => "logs stop",
            TamperKind::ClockJumpedBack => "log clock jumped back",
        }
    }

    /// Whether logs of the host may be missing after it (everything but a clock jump, whose
    /// lines are all still there, only out of order).
    pub fn hides_logs(self) -> bool {
        !matches!(self, TamperKind::ClockJumpedBack)
    }
}

/// One tampering event or silence of a host's logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tampering {
    pub time: Time,
    /// The host whose logs it is about.
    pub host: u32,
    pub kind: TamperKind,
    /// The account that did it, when the event names one (0 otherwise).
    pub user: u32,
    pub format: SourceFormat,
    /// The record (a stored event), or the last line before the silence or the jump.
    pub evidence: Evidence,
    /// When the host's logs resume (a silence only; `None`: not within the case).
    pub until: Option<Time>,
}

impl Tampering {
    /// Row `i` of `t` as a tampering event, when it is one.
    pub fn from_row(t: &EventTable, i: usize) -> Option<Tampering> {
        if t.orientation[i] != Orientation::Tampering as u8 {
            return None;
        }
        let kind = TamperKind::from_event_id(t.event_id[i])?;
        Some(Tampering {
            time: Time(t.time[i]),
            host: t.dst_host[i],
            kind,
            user: t.user[i],
            format: SourceFormat::from_code(t.format[i]).unwrap_or_default(),
            evidence: Evidence::of_row(t, i),
            until: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventFlags, LogonType, Outcome, Position};

    #[test]
    fn event_ids_name_their_kinds_and_nothing_else() {
        for k in TamperKind::ALL {
            if let Some(id) = k.event_id() {
                assert_eq!(TamperKind::from_event_id(id), Some(k));
            }
        }
        assert_eq!(TamperKind::from_event_id(4624), None);
    }

    #[test]
    fn only_tampering_rows_are_tampering() {
        let e = Event {
            time: Time(5),
            src_host: 0,
            src_ip: 0,
            dst_host: 3,
            dst_ip: 0,
            user: 2,
            src_user: 0,
            auth: 0,
            logon_type: LogonType::Unknown,
            outcome: Outcome::Unknown,
            orientation: Orientation::Tampering,
            format: SourceFormat::Evtx,
            event_id: 1102,
            flags: EventFlags::RECORD,
            evidence: Evidence { source: 1, position: Position::Record(9) },
        };
        let mut t = EventTable::default();
        t.push(&e);
        t.push(&Event { orientation: Orientation::LogOn, ..e });
        t.push(&Event { event_id: 4624, ..e });
        let got = Tampering::from_row(&t, 0).expect("a 1102 row");
        assert_eq!((got.host, got.kind, got.user), (3, TamperKind::SecurityLogCleared, 2));
        assert_eq!(got.evidence.position, Position::Record(9));
        assert!(Tampering::from_row(&t, 1).is_none());
        assert!(Tampering::from_row(&t, 2).is_none());
    }
}
