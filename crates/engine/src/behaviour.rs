//! What a host is, learned from what it does, online: doors and address pools.
//!
//! The inventory names roles in its own words, often not at all, and never for the hosts it
//! does not list. Two facts show in the logs themselves:
//!
//! - **A door**: someone logs on at the host's console (logon types `interactive` 2,
//!   `unlock` 7, `cached-interactive` 11, from the host itself or from no source) under a
//!   person's account (not a machine account, not a Windows system identity) on at least
//!   [`DOOR_DAYS`] days, and on at least half of the days anyone logged on to it at all. A
//!   person's machine, where an intrusion can begin (a phishing mail, a malicious download).
//! - **An address pool**: a host known only by its address ([`HostKind::Address`]: no
//!   inventory row, no name in any log) that [`POOL_ACCOUNTS`] distinct accounts log in out
//!   of within one UTC day; or any such address of a range (a site of `sites.csv`, or all
//!   private addresses no site holds) in which [`POOL_ACCOUNTS`] accounts were each seen
//!   leaving three different addresses within [`MOVE_DAYS`] days (DHCP leases, VPN
//!   sessions: the range hands addresses out). A NAT, VPN, DHCP or VDI address stands for
//!   whoever held it then: it is not a host an intruder can be on, and its history is many
//!   people's.
//!
//! [`Behaviour`] learns both in the detector's one pass in time order
//! ([`crate::Fleet::observe`], called for every event), with a fixed few bytes per host:
//! memory grows with distinct hosts, never with events; the facts at any moment depend only
//! on the events before it. A pool, once learned, stays one (an address shared by many
//! accounts in a day is shared by design); a door is a door while the rule holds.
//!
//! [`HostKind::Address`]: hopscope_model::HostKind::Address

use hopscope_model::{EventTable, LogonType, Orientation, Outcome};

/// Days with a console logon by a person that make a host a door.
pub const DOOR_DAYS: u16 = 3;

/// Distinct accounts logging in out of one address within a UTC day that make it a pool;
/// accounts seen moving between addresses of one range that make the range's addresses pools.
pub const POOL_ACCOUNTS: usize = 5;

/// An account seen leaving three different addresses of a range within this many days moved
/// between them: the range hands addresses out.
pub const MOVE_DAYS: i32 = 7;

const DAY: i64 = 86_400_000_000;
const NO_DAY: i32 = i32::MIN;

/// What an account is, for learning hosts' behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccountKind {
    /// A person's account, or a service account of a name we cannot tell apart.
    #[default]
    Person,
    /// A machine account (`WS06$`).
    Machine,
    /// A Windows system identity that logs on by itself on every host (`SYSTEM`,
    /// `LOCAL SERVICE`, `NETWORK SERVICE`, `ANONYMOUS LOGON`, `DWM-1`, `UMFD-0`).
    System,
}

impl AccountKind {
    /// Classify an account by its name (case-insensitive).
    pub fn of_name(name: &str) -> AccountKind {
        let n = name.trim();
        if n.ends_with('$') {
            return AccountKind::Machine;
        }
        let l = n.to_ascii_lowercase();
        let numbered = |prefix: &str| {
            l.strip_prefix(prefix)
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        };
        match l.as_str() {
            "system"
            | "local service"
            | "network service"
            | "anonymous logon"
            | "localsystem"
            | "nt authority\\system" => AccountKind::System,
            _ if numbered("dwm-") || numbered("umfd-") => AccountKind::System,
            _ => AccountKind::Person,
        }
    }
}

/// What one host has been seen doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct HostBehaviour {
    /// The last day (days since 1970-01-01 UTC) with a console logon by a person.
    console_day: i32,
    /// Distinct days with a console logon by a person.
    console_days: u16,
    /// The last day with any successful logon into the host.
    login_day: i32,
    /// Distinct days with a successful logon into the host.
    login_days: u16,
    /// The day `out_accounts` were seen on.
    out_day: i32,
    /// Distinct accounts that logged in out of the host on `out_day` (0 = free slot), up to
    /// one fewer than [`POOL_ACCOUNTS`].
    out_accounts: [u32; POOL_ACCOUNTS - 1],
    /// Learned to be an address pool.
    pool: bool,
    /// The range of an address host seen leaving (its site id + 1; 0 = not seen so).
    range: u32,
}

impl Default for HostBehaviour {
    fn default() -> HostBehaviour {
        HostBehaviour {
            console_day: NO_DAY,
            console_days: 0,
            login_day: NO_DAY,
            login_days: 0,
            out_day: NO_DAY,
            out_accounts: [0; POOL_ACCOUNTS - 1],
            pool: false,
            range: 0,
        }
    }
}

/// Count `day` once in `(last, days)`.
fn count_day(last: &mut i32, days: &mut u16, day: i32) {
    if *last != day {
        *last = day;
        *days = days.saturating_add(1);
    }
}

/// The two latest different addresses (of kind `address`) an account left, with the day each
/// was last left: (host, day); host 0 = none.
type Recent = [(u32, i32); 2];

/// An account's moves (a third different address of a range within [`MOVE_DAYS`]) counted
/// from the first day of the current window: (moves, first day).
type Moves = (u16, i32);

/// Accounts seen moving between the addresses of one range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct RangeBehaviour {
    /// Distinct accounts seen moving (0 = free slot), up to one fewer than [`POOL_ACCOUNTS`].
    movers: [u32; POOL_ACCOUNTS - 1],
    /// The range hands its addresses out: every address of it is a pool.
    dynamic: bool,
}

/// Doors and pools learned so far, by host id.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Behaviour {
    hosts: Vec<HostBehaviour>,
    /// By account id - 1.
    accounts: Vec<Recent>,
    /// By account id - 1: its moves in the current [`MOVE_DAYS`] window.
    moves: Vec<Moves>,
    /// By range (site id; 0 = private addresses no site holds).
    ranges: Vec<RangeBehaviour>,
}

/// What [`Behaviour::observe`] needs to know about an event's hosts and accounts.
pub trait Known {
    /// Whether host `id` may be a pool: known only by its address, or an inventory pool.
    fn may_be_pool(&self, id: u32) -> bool;
    /// The range of a host known only by its address (its site id, 0 for a private address
    /// no site holds); `None` for every other host.
    fn address_range(&self, id: u32) -> Option<u32>;
    fn account_kind(&self, id: u32) -> AccountKind;
}

const SUCCESS: u8 = Outcome::Success as u8;
const LOGON: u8 = Orientation::LogOn as u8;
const TGS: u8 = Orientation::Tgs as u8;

impl Behaviour {
    fn host_mut(&mut self, id: u32) -> &mut HostBehaviour {
        let i = id as usize - 1;
        if self.hosts.len() <= i {
            self.hosts.resize(i + 1, HostBehaviour::default());
        }
        &mut self.hosts[i]
    }

    fn host(&self, id: u32) -> Option<&HostBehaviour> {
        id.checked_sub(1).and_then(|i| self.hosts.get(i as usize))
    }

    /// Learn from row `i` of `t` (rows in time order). Only successful logons (and, for pools,
    /// service tickets naming the client's address) teach anything.
    #[inline]
    pub fn observe(&mut self, t: &EventTable, i: usize, known: &impl Known) {
        let orientation = t.orientation[i];
        if t.outcome[i] != SUCCESS || (orientation != LOGON && orientation != TGS) {
            return;
        }
        let (src, dst) = (t.src_host[i], t.dst_host[i]);
        let day = t.time[i].div_euclid(DAY) as i32;
        if dst != 0 && orientation == LOGON {
            let console = matches!(
                LogonType::from_code(t.logon_type[i]),
                Some(LogonType::Interactive | LogonType::Unlock | LogonType::CachedInteractive)
            ) && (src == 0 || src == dst)
                && t.user[i] != 0
                && known.account_kind(t.user[i]) == AccountKind::Person;
            let h = self.host_mut(dst);
            count_day(&mut h.login_day, &mut h.login_days, day);
            if console {
                count_day(&mut h.console_day, &mut h.console_days, day);
            }
        }
        if src != 0 && src != dst && known.may_be_pool(src) {
            let account = if t.src_user[i] != 0 { t.src_user[i] } else { t.user[i] };
            if account == 0 || known.account_kind(account) == AccountKind::System {
                return;
            }
            if let Some(range) = known.address_range(src) {
                let h = self.host_mut(src);
                let fresh = h.range == 0;
                h.range = range + 1;
                self.moved(account, src, range, day, fresh, known);
            }
            let h = self.host_mut(src);
            if h.pool {
                return;
            }
            if h.out_day != day {
                h.out_day = day;
                h.out_accounts = [0; POOL_ACCOUNTS - 1];
            }
            if h.out_accounts.contains(&account) {
                return;
            }
            match h.out_accounts.iter_mut().find(|a| **a == 0) {
                Some(free) => *free = account,
                None => h.pool = true,
            }
        }
    }

    /// `account` left address host `src` of `range` on `day`: a third different address of the
    /// range within [`MOVE_DAYS`] is a move and makes it a mover. [`POOL_ACCOUNTS`] movers make
    /// the range dynamic — and so does one account making [`POOL_ACCOUNTS`] moves to `fresh`
    /// addresses (never seen leaving before) within one [`MOVE_DAYS`] window: it keeps
    /// appearing on addresses nobody used, as a CI job on new runners or a VPN session on a new
    /// lease does; a person cycling between a few fixed machines does not.
    fn moved(
        &mut self,
        account: u32,
        src: u32,
        range: u32,
        day: i32,
        fresh: bool,
        known: &impl Known,
    ) {
        let i = account as usize - 1;
        if self.accounts.len() <= i {
            self.accounts.resize(i + 1, [(0, NO_DAY); 2]);
        }
        let recent = &mut self.accounts[i];
        if let Some(slot) = recent.iter_mut().find(|s| s.0 == src) {
            slot.1 = day;
            return;
        }
        let third = recent.iter().all(|&(h, d)| {
            h != 0 && d != NO_DAY && day - d <= MOVE_DAYS && known.address_range(h) == Some(range)
        });
        let older = if recent[0].1 <= recent[1].1 { 0 } else { 1 };
        recent[older] = (src, day);
        if !third {
            return;
        }
        if fresh {
            self.count_move(i, day);
        }
        let churns = self.moves.get(i).is_some_and(|m| m.0 as usize >= POOL_ACCOUNTS);
        let r = range as usize;
        if self.ranges.len() <= r {
            self.ranges.resize(r + 1, RangeBehaviour::default());
        }
        let range = &mut self.ranges[r];
        if churns {
            range.dynamic = true;
        }
        if range.dynamic || range.movers.contains(&account) {
            return;
        }
        match range.movers.iter_mut().find(|a| **a == 0) {
            Some(free) => *free = account,
            None => range.dynamic = true,
        }
    }

    /// Count a move of account `i` (id - 1) to a fresh address on `day`, in the current
    /// [`MOVE_DAYS`] window (a new window begins with a move after it).
    fn count_move(&mut self, i: usize, day: i32) {
        if self.moves.len() <= i {
            self.moves.resize(i + 1, (0, NO_DAY));
        }
        let moves = &mut self.moves[i];
        if moves.1 == NO_DAY || day - moves.1 > MOVE_DAYS {
            *moves = (0, day);
        }
        moves.0 = moves.0.saturating_add(1);
    }

    /// Whether host `id` has been seen used as a person's machine: console logons by a person
    /// on at least [`DOOR_DAYS`] days, and on at least half of the days anyone logged on to it.
    pub fn is_door(&self, id: u32) -> bool {
        self.host(id).is_some_and(|h| {
            h.console_days >= DOOR_DAYS && 2 * h.console_days as u32 >= h.login_days as u32
        })
    }

    /// Whether host `id` (a host known only by its address) has been seen used by
    /// [`POOL_ACCOUNTS`] accounts within a day, or left as an address of a range whose
    /// addresses are handed out ([`Behaviour::is_dynamic_range`]).
    pub fn is_pool(&self, id: u32) -> bool {
        self.host(id).is_some_and(|h| {
            h.pool || h.range.checked_sub(1).is_some_and(|r| self.is_dynamic_range(r))
        })
    }

    /// Whether range `range` (a site id; 0 = private addresses no site holds) hands its
    /// addresses out: [`POOL_ACCOUNTS`] accounts were each seen leaving three different
    /// addresses of it within [`MOVE_DAYS`] days.
    pub fn is_dynamic_range(&self, range: u32) -> bool {
        self.ranges.get(range as usize).is_some_and(|r| r.dynamic)
    }

    /// Days with a console logon by a person on host `id`.
    pub fn console_days(&self, id: u32) -> u16 {
        self.host(id).map_or(0, |h| h.console_days)
    }

    /// Hosts learned to be doors and pools, by id (for `case`-level summaries and tests).
    pub fn learned(&self) -> (Vec<u32>, Vec<u32>) {
        let ids = 1..=self.hosts.len() as u32;
        (
            ids.clone().filter(|&h| self.is_door(h)).collect(),
            ids.filter(|&h| self.is_pool(h)).collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_kinds() {
        use AccountKind::*;
        assert_eq!(AccountKind::of_name("WS06$"), Machine);
        assert_eq!(AccountKind::of_name("SYSTEM"), System);
        assert_eq!(AccountKind::of_name("DWM-3"), System);
        assert_eq!(AccountKind::of_name("umfd-0"), System);
        assert_eq!(AccountKind::of_name("ANONYMOUS LOGON"), System);
        assert_eq!(AccountKind::of_name("dwm-admin"), Person);
        assert_eq!(AccountKind::of_name("alice"), Person);
        assert_eq!(AccountKind::of_name("systemd-user"), Person);
    }
}
