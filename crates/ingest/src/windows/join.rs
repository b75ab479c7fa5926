//! Joins within one file, so that a hop carries its evidence: privileges (4672), service
//! installs (4697/7045) and admin-share access (5140/5145) mark the logon they belong to;
//! logoffs take their source from their logon; a Kerberos logon with no address takes it
//! from the domain controller's 4769 with the same logon GUID.
//!
//! Logon ids are unique per computer and boot, so every id join is keyed by computer too.

use ahash::AHashMap;
use hopscope_model::{fold_host_name, EventFlags, LogonType, Outcome};

use super::mapping::Role;
use super::Located;

/// How long after a network logon a service install or share access is taken to belong to
/// it, when no logon id links them (7045 has none): PsExec-style tools install within
/// seconds of their logon.
pub(crate) const WINDOW_MICROS: i64 = 2 * 60 * 1_000_000;

fn host_key(computer: &str) -> String {
    fold_host_name(computer).unwrap_or_else(|| computer.to_ascii_lowercase())
}

fn is_machine(user: Option<&str>) -> bool {
    user.is_some_and(|u| u.ends_with('$'))
}

/// What a file's join remembers of the events it has already handed over, when it holds a
/// bounded number of them ([`super::HELD_EVENTS`]): the sessions of successful logons (a
/// logoff or a service install long after takes its source from them) and the Kerberos
/// tickets' addresses, each at most [`REMEMBERED`], the oldest forgotten first.
#[derive(Debug, Default)]
pub(crate) struct Released {
    logons: AHashMap<(String, u64), Session>,
    logon_order: std::collections::VecDeque<(String, u64)>,
    tickets: AHashMap<String, Option<String>>,
    ticket_order: std::collections::VecDeque<String>,
    /// Marks (privileges, an admin share, a service install) that belonged to a logon
    /// already handed over, so could not be set on it.
    pub lost_marks: u64,
    /// Sessions and tickets forgotten to stay within [`REMEMBERED`].
    pub forgotten: u64,
}

/// Sessions and tickets a [`Released`] remembers at most (each about 100 bytes).
pub(crate) const REMEMBERED: usize = 1 << 18;

/// What a later event takes from its logon.
#[derive(Clone, Debug)]
struct Session {
    src_host: Option<String>,
    src_ip: Option<String>,
    logon_type: LogonType,
    user: Option<String>,
    domain: Option<String>,
}

impl Released {
    /// Remember the sessions and tickets of `events`, about to be handed over.
    pub(crate) fn remember(&mut self, events: &[Located]) {
        for l in events {
            let e = &l.ev;
            if e.role == Role::Logon && e.outcome == Outcome::Success {
                if let Some(id) = e.logon_id.filter(|id| *id != 0) {
                    let key = (host_key(&e.computer), id);
                    let session = Session {
                        src_host: e.src_host.clone(),
                        src_ip: e.src_ip.clone(),
                        logon_type: e.logon_type,
                        user: e.user.clone(),
                        domain: e.domain.clone(),
                    };
                    // the first logon with the id wins, as in the join
                    if !self.logons.contains_key(&key) {
                        self.logons.insert(key.clone(), session);
                        self.logon_order.push_back(key);
                    }
                }
            }
            if e.event_id == 4769 {
                if let (Some(g), Some(_)) = (&e.logon_guid, &e.address) {
                    if !self.tickets.contains_key(g) {
                        self.tickets.insert(g.clone(), e.address.clone());
                        self.ticket_order.push_back(g.clone());
                    }
                }
            }
        }
        while self.logon_order.len() > REMEMBERED {
            if let Some(k) = self.logon_order.pop_front() {
                self.logons.remove(&k);
                self.forgotten += 1;
            }
        }
        while self.ticket_order.len() > REMEMBERED {
            if let Some(k) = self.ticket_order.pop_front() {
                self.tickets.remove(&k);
                self.forgotten += 1;
            }
        }
    }

    fn session(&self, key: &str, id: u64) -> Option<&Session> {
        if self.logons.is_empty() {
            return None;
        }
        self.logons.get(&(key.to_string(), id))
    }
}

/// Which events are handed over, and which are marks whose logon was handed over before
/// them ([`Released`]).
pub(crate) struct Joined {
    pub emit: Vec<bool>,
    pub lost: Vec<bool>,
    /// Marks set on a logon this join holds.
    pub marked: Vec<bool>,
}

/// Apply the joins; returns which events are emitted (4672 is a marker only, and repeated
/// 5145 checks of one share by one session add nothing to the first).
pub(crate) fn join(events: &mut [Located]) -> Vec<bool> {
    join_with(events, &Released::default()).emit
}

/// [`join`] over the events a file's join holds, with what it remembers of those it has
/// handed over.
pub(crate) fn join_with(events: &mut [Located], released: &Released) -> Joined {
    let keys: Vec<String> = events.iter().map(|l| host_key(&l.ev.computer)).collect();
    let mut emit = vec![true; events.len()];
    let mut lost = vec![false; events.len()];
    let mut marked = vec![false; events.len()];

    // successful logons by (computer, logon id); the last one before wins
    let mut logons: AHashMap<(&str, u64), usize> = AHashMap::new();
    // network logons from elsewhere, per computer, in file order (times ascending in practice)
    let mut network: AHashMap<&str, Vec<usize>> = AHashMap::new();
    let mut tickets: AHashMap<String, usize> = AHashMap::new();
    for (i, l) in events.iter().enumerate() {
        let e = &l.ev;
        if e.role == Role::Logon && e.outcome == Outcome::Success {
            if let Some(id) = e.logon_id.filter(|id| *id != 0) {
                logons.entry((keys[i].as_str(), id)).or_insert(i);
            }
            if e.logon_type == LogonType::Network && (e.src_ip.is_some() || e.src_host.is_some()) {
                network.entry(keys[i].as_str()).or_default().push(i);
            }
        }
        if e.event_id == 4769 {
            if let (Some(g), Some(_)) = (&e.logon_guid, &e.address) {
                tickets.entry(g.clone()).or_insert(i);
            }
        }
    }
    for v in network.values_mut() {
        v.sort_by_key(|&i| (events[i].ev.time, i));
    }

    // A Kerberos logon whose record gives no address (WinRM, DCOM) and the DC's 4769 for it
    // share a logon GUID; the ticket's client address is the logon's source.
    for i in 0..events.len() {
        let e = &events[i].ev;
        if e.role != Role::Logon
            || e.src_ip.is_some()
            || e.src_host.is_some()
            || e.logon_type != LogonType::Network
        {
            continue;
        }
        let Some(g) = e.logon_guid.as_ref() else { continue };
        let addr = match tickets.get(g) {
            Some(&t) => events[t].ev.address.clone(),
            None => match released.tickets.get(g) {
                Some(a) => a.clone(),
                None => continue,
            },
        };
        events[i].ev.src_ip = addr;
    }

    let mut seen_shares: AHashMap<(&str, u64, String), ()> = AHashMap::new();
    for i in 0..events.len() {
        let role = events[i].ev.role.clone();
        let id = events[i].ev.logon_id.filter(|id| *id != 0);
        let logon = id.and_then(|id| logons.get(&(keys[i].as_str(), id)).copied());
        // the logon was handed over before this event (a bounded join)
        let gone = match (logon, id) {
            (None, Some(id)) => released.session(&keys[i], id),
            _ => None,
        };
        match role {
            Role::Privileges => {
                emit[i] = false;
                if let Some(j) = logon {
                    events[j].ev.flags.insert(EventFlags::PRIVILEGED);
                    marked[i] = true;
                }
                lost[i] = gone.is_some();
            }
            Role::Logoff => {
                let from = match (logon, gone) {
                    (Some(j), _) => Some((
                        events[j].ev.src_host.clone(),
                        events[j].ev.src_ip.clone(),
                        events[j].ev.logon_type,
                    )),
                    (None, Some(s)) => Some((s.src_host.clone(), s.src_ip.clone(), s.logon_type)),
                    (None, None) => None,
                };
                if let Some((h, ip, lt)) = from {
                    let e = &mut events[i].ev;
                    e.src_host = e.src_host.take().or(h);
                    e.src_ip = e.src_ip.take().or(ip);
                    if e.logon_type == LogonType::Unknown {
                        e.logon_type = lt;
                    }
                }
            }
            Role::Share { admin, share } => {
                if let Some(id) = events[i].ev.logon_id.filter(|id| *id != 0) {
                    if events[i].ev.event_id == 5145
                        && seen_shares
                            .insert((keys[i].as_str(), id, share.to_ascii_uppercase()), ())
                            .is_some()
                    {
                        emit[i] = false;
                    }
                }
                let j = logon
                    .or_else(|| recent_network_logon(events, &network, &keys[i], i, true, None));
                match (j, admin) {
                    (Some(j), true) => {
                        events[j].ev.flags.insert(EventFlags::ADMIN_SHARE);
                        marked[i] = true;
                    }
                    (None, true) => lost[i] = gone.is_some(),
                    _ => {}
                }
            }
            Role::ServiceInstall => {
                let user = events[i].ev.user.clone();
                let j = logon.or_else(|| {
                    recent_network_logon(events, &network, &keys[i], i, false, user.as_deref())
                });
                let from = match (j, gone) {
                    (Some(j), _) => {
                        events[j].ev.flags.insert(EventFlags::SERVICE_INSTALL);
                        marked[i] = true;
                        let l = &events[j].ev;
                        Some((
                            l.src_host.clone(),
                            l.src_ip.clone(),
                            l.user.clone(),
                            l.domain.clone(),
                        ))
                    }
                    (None, Some(s)) => {
                        lost[i] = true;
                        Some((
                            s.src_host.clone(),
                            s.src_ip.clone(),
                            s.user.clone(),
                            s.domain.clone(),
                        ))
                    }
                    (None, None) => None,
                };
                if let Some((h, ip, u, d)) = from {
                    let e = &mut events[i].ev;
                    e.src_host = h;
                    e.src_ip = ip;
                    if e.user.is_none() {
                        e.user = u;
                        e.domain = d;
                    }
                }
            }
            Role::Logon | Role::Plain => {}
        }
    }
    Joined { emit, lost, marked }
}

/// The latest network logon on the same computer within [`WINDOW_MICROS`] before event `i`:
/// from the same address when `same_source`, preferring `user`'s logons, then people's
/// over machine accounts'.
fn recent_network_logon(
    events: &[Located],
    network: &AHashMap<&str, Vec<usize>>,
    key: &str,
    i: usize,
    same_source: bool,
    user: Option<&str>,
) -> Option<usize> {
    let list = network.get(key)?;
    let e = &events[i].ev;
    let t = e.time;
    let from = list.partition_point(|&j| events[j].ev.time.0 < t.0.saturating_sub(WINDOW_MICROS));
    let to = list.partition_point(|&j| events[j].ev.time <= t);
    let candidates = list[from..to]
        .iter()
        .copied()
        .filter(|&j| !same_source || (e.address.is_some() && events[j].ev.src_ip == e.address));
    candidates.max_by_key(|&j| {
        let c = &events[j].ev;
        let same_user =
            user.is_some_and(|u| c.user.as_deref().is_some_and(|cu| cu.eq_ignore_ascii_case(u)));
        (same_user, !is_machine(c.user.as_deref()), c.time, j)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::fields::Fields;
    use crate::windows::mapping::{interpret, RecordContext};
    use hopscope_model::Position;

    fn located(lines: &[&str]) -> Vec<Located> {
        lines
            .iter()
            .enumerate()
            .map(|(n, j)| {
                let f = Fields::from_json(j).unwrap();
                let ev = interpret(&f, &RecordContext::default()).unwrap().unwrap();
                Located {
                    ev,
                    order: n as u64 + 1,
                    position: Position::Line(n as u64 + 1),
                    member: None,
                }
            })
            .collect()
    }

    #[test]
    fn psexec_style_logon_carries_its_evidence() {
        let mut ev = located(&[
            r##"{"EventID":4672,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","SubjectLogonId":"0x10","SubjectUserName":"bob"}"##,
            r##"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","TargetUserName":"bob","TargetLogonId":"0x10"}"##,
            r##"{"EventID":5140,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:01Z","ShareName":"\\\\*\\ADMIN$","IpAddress":"10.0.0.5","SubjectUserName":"bob","SubjectLogonId":"0x10"}"##,
            r##"{"EventID":5145,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:01Z","ShareName":"\\\\*\\ADMIN$","IpAddress":"10.0.0.5","SubjectUserName":"bob","SubjectLogonId":"0x10"}"##,
            r##"{"EventID":5145,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:02Z","ShareName":"\\\\*\\ADMIN$","IpAddress":"10.0.0.5","SubjectUserName":"bob","SubjectLogonId":"0x10"}"##,
            r##"{"EventID":7045,"Channel":"System","Hostname":"WS6","TimeCreated":"2020-01-01T00:01:00Z","ServiceName":"PSEXESVC","AccountName":"LocalSystem"}"##,
            r##"{"EventID":4634,"Hostname":"WS6","TimeCreated":"2020-01-01T00:05:00Z","TargetLogonId":"0x10","TargetUserName":"bob"}"##,
        ]);
        let emit = join(&mut ev);
        assert_eq!(emit, vec![false, true, true, true, false, true, true]);
        let f = ev[1].ev.flags;
        assert!(
            f.contains(EventFlags::PRIVILEGED)
                && f.contains(EventFlags::ADMIN_SHARE)
                && f.contains(EventFlags::SERVICE_INSTALL)
        );
        assert_eq!(
            ev[5].ev.src_ip.as_deref(),
            Some("10.0.0.5"),
            "the install takes the logon's source"
        );
        assert_eq!(
            ev[6].ev.src_ip.as_deref(),
            Some("10.0.0.5"),
            "the logoff takes the logon's source"
        );
    }

    #[test]
    fn install_long_after_a_logon_is_not_joined() {
        let mut ev = located(&[
            r##"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","TargetUserName":"bob","TargetLogonId":"0x10"}"##,
            r##"{"EventID":7045,"Channel":"System","Hostname":"WS6","TimeCreated":"2020-01-01T00:10:00Z","ServiceName":"x"}"##,
            r##"{"EventID":7045,"Channel":"System","Hostname":"WS7","TimeCreated":"2020-01-01T00:00:30Z","ServiceName":"x"}"##,
        ]);
        join(&mut ev);
        assert!(!ev[0].ev.flags.contains(EventFlags::SERVICE_INSTALL));
        assert_eq!(ev[1].ev.src_ip, None);
    }

    #[test]
    fn kerberos_logon_takes_the_ticket_address() {
        let mut ev = located(&[
            r##"{"EventID":4769,"Hostname":"DC","TimeCreated":"2020-01-01T00:00:00Z","TargetUserName":"bob@X","ServiceName":"WS6$","IpAddress":"::ffff:10.0.0.5","LogonGuid":"{ABC-1}","Status":"0x0"}"##,
            r##"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:01Z","LogonType":"3","IpAddress":"-","TargetUserName":"bob","LogonGuid":"{abc-1}"}"##,
        ]);
        join(&mut ev);
        assert_eq!(ev[1].ev.src_ip.as_deref(), Some("::ffff:10.0.0.5"));
    }
}
