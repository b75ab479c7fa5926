//! The temporal login graph's edges: which events are hops.

use hopscope_model::{
    EventFlags, EventTable, Evidence, LogonType, Orientation, Outcome, Position, SourceFormat, Time,
};

/// A successful login from one host to another: an edge of the temporal login graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hop {
    pub time: Time,
    pub src: u32,
    pub dst: u32,
    /// Account used on the destination (0 = unknown).
    pub user: u32,
    /// Account on the source side, where the source gives one (0 = unknown).
    pub src_user: u32,
    pub auth: u32,
    pub logon_type: LogonType,
    pub format: SourceFormat,
    pub flags: EventFlags,
    pub evidence: Evidence,
    /// The source address as logged (an address dictionary id; 0 = none logged): what tells
    /// apart the many machines behind one pseudo-host (the `internet`, an address pool).
    pub src_addr: u32,
    /// The destination's own logon record (not a domain controller's ticket, not the
    /// source's explicit-credential record 4648): when one login is logged at both ends,
    /// its fields win.
    pub primary: bool,
}

impl Hop {
    /// Whether `other` is another record of this login: one login is often logged at both
    /// ends (4648 on the source and 4624 on the destination; 4769 on a domain controller and
    /// 4624 on the service host). Same source and destination, the same account where both
    /// name one, within `skew` of each other.
    pub fn same_login(&self, other: &Hop, skew: i64) -> bool {
        self.src == other.src
            && self.dst == other.dst
            && (self.user == other.user || self.user == 0 || other.user == 0)
            && (self.time.0 - other.time.0).abs() <= skew
    }

    /// One hop from two records of the same login: the destination's own record wins, the
    /// other fills what it lacks, flags join, the earlier time stands. Returns the record that
    /// gave way (its evidence is the login's supporting evidence).
    pub fn absorb(&mut self, other: Hop) -> Hop {
        let (mut keep, gave_way) =
            if other.primary && !self.primary { (other, *self) } else { (*self, other) };
        keep.time = self.time.min(other.time);
        if keep.user == 0 {
            keep.user = gave_way.user;
        }
        if keep.src_user == 0 {
            keep.src_user = gave_way.src_user;
        }
        if keep.auth == 0 {
            keep.auth = gave_way.auth;
        }
        if keep.src_addr == 0 {
            keep.src_addr = gave_way.src_addr;
        }
        if keep.logon_type == LogonType::Unknown {
            keep.logon_type = gave_way.logon_type;
        }
        keep.flags = EventFlags(keep.flags.0 | gave_way.flags.0);
        *self = keep;
        gave_way
    }
}

/// A failed login attempt between two hosts (brute-force evidence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailedLogin {
    pub time: Time,
    pub src: u32,
    pub dst: u32,
    /// The source address as logged (0 = none), as [`Hop::src_addr`].
    pub src_addr: u32,
    /// The account tried (0 = none logged).
    pub user: u32,
    pub evidence: Evidence,
}

/// What one event is to the login graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphEvent {
    Hop(Hop),
    Failure(FailedLogin),
    /// Logoffs, ticket-granting tickets, network-only corroboration, local logons, logins
    /// from an unknown source.
    Ignored,
}

const LOGON: u8 = Orientation::LogOn as u8;
const TGS: u8 = Orientation::Tgs as u8;
const UNKNOWN_ORIENTATION: u8 = Orientation::Unknown as u8;
const SUCCESS: u8 = Outcome::Success as u8;
const FAILURE: u8 = Outcome::Failure as u8;
const UNKNOWN_OUTCOME: u8 = Outcome::Unknown as u8;

/// Classify row `i` of `t`.
///
/// A hop is a successful logon (orientation `logon`, or `tgs` naming a service host other
/// than the client) between two different, known hosts, that is not `network-only`
/// corroboration; and a logon seen from its source alone (`source-side`, whose outcome the
/// source cannot know), marked as not the destination's own record ([`Hop::primary`]). Failed
/// logons between two known hosts are kept for brute-force scoring.
#[inline]
pub fn classify(t: &EventTable, i: usize) -> GraphEvent {
    let (src, dst) = (t.src_host[i], t.dst_host[i]);
    if src == 0 || dst == 0 || src == dst {
        return GraphEvent::Ignored;
    }
    let flags = EventFlags(t.flags[i]);
    if flags.contains(EventFlags::NETWORK_ONLY) {
        return GraphEvent::Ignored;
    }
    let orientation = t.orientation[i];
    let evidence = || Evidence {
        source: t.source[i],
        position: if flags.contains(EventFlags::RECORD) {
            Position::Record(t.position[i])
        } else {
            Position::Line(t.position[i])
        },
    };
    let outcome = match t.outcome[i] {
        UNKNOWN_OUTCOME if orientation == LOGON && flags.contains(EventFlags::SOURCE_SIDE) => {
            SUCCESS
        }
        o => o,
    };
    match outcome {
        SUCCESS if orientation == LOGON || orientation == TGS => GraphEvent::Hop(Hop {
            time: Time(t.time[i]),
            src,
            dst,
            user: t.user[i],
            src_user: t.src_user[i],
            auth: t.auth[i],
            logon_type: LogonType::from_code(t.logon_type[i]).unwrap_or_default(),
            format: SourceFormat::from_code(t.format[i]).unwrap_or_default(),
            flags: EventFlags(flags.0 & !EventFlags::RECORD.0),
            evidence: evidence(),
            src_addr: t.src_ip[i],
            primary: orientation == LOGON
                && t.event_id[i] != 4648
                && !flags.contains(EventFlags::SOURCE_SIDE),
        }),
        FAILURE if orientation == LOGON || orientation == UNKNOWN_ORIENTATION => {
            GraphEvent::Failure(FailedLogin {
                time: Time(t.time[i]),
                src,
                dst,
                src_addr: t.src_ip[i],
                user: t.user[i],
                evidence: evidence(),
            })
        }
        _ => GraphEvent::Ignored,
    }
}

#[cfg(test)]
impl Hop {
    /// A successful network logon for unit tests; its evidence is line `t` of source 1.
    pub(crate) fn test(t: i64, src: u32, dst: u32, user: u32) -> Hop {
        Hop {
            time: Time(t),
            src,
            dst,
            user,
            src_user: 0,
            auth: 0,
            logon_type: hopscope_model::LogonType::Network,
            format: hopscope_model::SourceFormat::Jsonl,
            flags: hopscope_model::EventFlags::default(),
            primary: true,
            src_addr: 0,
            evidence: hopscope_model::Evidence {
                source: 1,
                position: hopscope_model::Position::Line(t as u64),
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hopscope_model::Event;

    pub fn event(t: i64, src: u32, dst: u32, user: u32) -> Event {
        Event {
            time: Time(t),
            src_host: src,
            src_ip: 0,
            dst_host: dst,
            dst_ip: 0,
            user,
            src_user: 0,
            auth: 0,
            logon_type: LogonType::Network,
            outcome: Outcome::Success,
            orientation: Orientation::LogOn,
            format: SourceFormat::Jsonl,
            event_id: 0,
            flags: EventFlags::default(),
            evidence: Evidence { source: 1, position: Position::Line(t as u64) },
        }
    }

    fn one(e: Event) -> GraphEvent {
        let mut t = EventTable::default();
        t.push(&e);
        classify(&t, 0)
    }

    #[test]
    fn what_is_a_hop() {
        assert!(matches!(one(event(1, 1, 2, 3)), GraphEvent::Hop(_)));
        assert_eq!(one(event(1, 2, 2, 3)), GraphEvent::Ignored, "local logon");
        assert_eq!(one(event(1, 0, 2, 3)), GraphEvent::Ignored, "unknown source");
        assert_eq!(
            one(Event { orientation: Orientation::LogOff, ..event(1, 1, 2, 3) }),
            GraphEvent::Ignored
        );
        assert_eq!(
            one(Event { orientation: Orientation::Tgt, ..event(1, 1, 2, 3) }),
            GraphEvent::Ignored
        );
        assert!(matches!(
            one(Event { orientation: Orientation::Tgs, ..event(1, 1, 2, 3) }),
            GraphEvent::Hop(_)
        ));
        assert_eq!(
            one(Event { flags: EventFlags::NETWORK_ONLY, ..event(1, 1, 2, 3) }),
            GraphEvent::Ignored
        );
        assert!(matches!(
            one(Event { outcome: Outcome::Failure, ..event(1, 1, 2, 3) }),
            GraphEvent::Failure(_)
        ));
        let rec = Event {
            evidence: Evidence { source: 2, position: Position::Record(77) },
            ..event(1, 1, 2, 3)
        };
        match one(rec) {
            GraphEvent::Hop(h) => {
                assert_eq!(h.evidence.position, Position::Record(77));
                assert!(!h.flags.contains(EventFlags::RECORD));
            }
            other => panic!("{other:?}"),
        }
    }
}
