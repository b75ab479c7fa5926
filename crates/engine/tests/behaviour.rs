//! What hosts are, learned from what they do: doors from console logons, address pools from
//! many accounts behind one address (crates/engine/src/behaviour.rs).

mod support;

use hopscope_engine::{DetectConfig, Detector, Foothold};
use hopscope_model::{EventTable, InventoryHost, LogonType, Time};
use support::*;

fn role(mut h: InventoryHost, role: &str) -> InventoryHost {
    h.role = role.into();
    h
}

/// A console logon (logon type 2, from the host itself) by `user` on `host`.
fn console(w: &mut World, time: Time, host: &str, user: &str) {
    w.login_with(time, host, host, user, "Negotiate", |e| e.logon_type = LogonType::Interactive);
}

/// Feed `events` to a fresh detector one day at a time, giving `check` the detector after
/// each day (day 0 first).
fn day_by_day(w: &mut World, days: i64, mut check: impl FnMut(i64, &Detector)) -> Detector {
    w.events.sort_by_time();
    let mut d = Detector::new(&w.catalog, &w.inventory, DetectConfig::default());
    let start = w.events.time[0].div_euclid(D) * D;
    for day in 0..days {
        let (lo, hi) = (start + day * D, start + (day + 1) * D);
        let idx: Vec<usize> = (0..w.events.len())
            .filter(|&i| w.events.time[i] >= lo && w.events.time[i] < hi)
            .collect();
        let mut b = EventTable::default();
        if let (Some(&a), Some(&z)) = (idx.first(), idx.last()) {
            b.extend_from_range(&w.events, a..z + 1);
        }
        d.feed(&b);
        check(day, &d);
    }
    d
}

/// A host with no role, or a role of no known word, that people log on to at its console
/// on workdays becomes a door from its third such day; inventory roles of a server class are
/// trusted over behaviour; machine accounts and Windows system identities teach nothing.
#[test]
fn console_logged_hosts_become_doors() {
    let mut w = World::new(
        vec![
            host("ws-anna", "tokyo", "Japan"),                        // no role
            role(host("lab-07", "tokyo", "Japan"), "frobnicator"),    // a word we do not know
            role(host("db-01", "tokyo", "Japan"), "Database Server"), // a server: trusted
            host("app-01", "tokyo", "Japan"),                         // no role, used remotely
            host("kiosk-1", "tokyo", "Japan"),                        // only system logons
            role(host("ws-bob", "tokyo", "Japan"), "WKS"),            // a door by its role
        ],
        vec![],
    );
    let day0 = t("2026-03-02T00:00:00Z"); // a Monday
    for day in 0..5 {
        let at = |h: i64| Time(day0.0 + day * D + h * H);
        console(&mut w, at(8), "ws-anna", "anna");
        w.login(at(9), "ws-anna", "app-01", "anna", "Kerberos");
        console(&mut w, at(8), "lab-07", "lab_user");
        console(&mut w, at(7), "db-01", "dba");
        w.login(at(10), "ws-bob", "db-01", "bob", "Kerberos");
        console(&mut w, at(6), "kiosk-1", "DWM-1");
        console(&mut w, at(6), "kiosk-1", "KIOSK-1$");
        w.login_with(at(6), "kiosk-1", "kiosk-1", "UMFD-0", "Negotiate", |e| {
            e.logon_type = LogonType::Interactive;
            e.src_host = 0; // a console logon that names no source at all
        });
    }
    // the named-by-logs machine (no inventory row): unlocked at its console on four days
    // (logon type 7, no source named)
    for day in 0..4 {
        w.login_with(
            Time(day0.0 + day * D + 9 * H),
            "c-dev-3",
            "c-dev-3",
            "chen",
            "Negotiate",
            |e| {
                e.logon_type = LogonType::Unlock;
                e.src_host = 0;
            },
        );
    }
    // app-01's one console logon, on a day it is used remotely every day
    console(&mut w, Time(day0.0 + 2 * D + 12 * H), "app-01", "ops");
    let id = |w: &mut World, n: &str| w.host_id(n);
    let (anna, lab, db, app, kiosk, bob, dev) = (
        id(&mut w, "ws-anna"),
        id(&mut w, "lab-07"),
        id(&mut w, "db-01"),
        id(&mut w, "app-01"),
        id(&mut w, "kiosk-1"),
        id(&mut w, "ws-bob"),
        id(&mut w, "c-dev-3"),
    );
    let mut seen = Vec::new();
    day_by_day(&mut w, 5, |day, d| {
        let f = d.fleet();
        seen.push((day, f.foothold(anna), f.foothold(lab), f.foothold(dev)));
        assert_eq!(f.foothold(db), Foothold::Inner, "day {day}: a database by its role");
        assert_eq!(f.foothold(app), Foothold::Inner, "day {day}: one console day of five");
        assert_eq!(f.foothold(kiosk), Foothold::Inner, "day {day}: no person at its console");
        assert_eq!(f.foothold(bob), Foothold::Door, "day {day}: a workstation by its role");
        assert!(!f.is_pool(anna) && !f.is_pool(dev));
    });
    use Foothold::*;
    assert_eq!(
        seen,
        vec![
            (0, Inner, Inner, Unknown),
            (1, Inner, Inner, Unknown),
            (2, Door, Door, Door),
            (3, Door, Door, Door),
            (4, Door, Door, Door),
        ],
        "a door from the third console day; the host without an inventory row too"
    );
}

/// An address many accounts log in from within one day is a pool: not a door, not a host an
/// intruder is on (an origin outside the hosts we know), and it stays one. An address one
/// person uses every day, a jump host every admin leaves from, and a host named by the logs
/// are not pools.
#[test]
fn addresses_many_accounts_share_are_pools() {
    let mut w = World::new(
        vec![
            host("app-01", "tokyo", "Japan"),
            role(host("jump-01", "tokyo", "Japan"), "jump"),
            role(host("vpn-nat", "tokyo", "Japan"), "NAT pool"),
        ],
        vec![],
    );
    let day0 = t("2026-03-02T00:00:00Z");
    let users = ["u1", "u2", "u3", "u4", "u5", "u6", "u7"];
    for day in 0..3 {
        let at = |m: i64| Time(day0.0 + day * D + 8 * H + m * 60 * S);
        // day 0: four accounts behind 10.9.0.5 (not yet a pool); day 1: seven
        let n = if day == 0 { 4 } else { users.len() };
        for (k, u) in users[..n].iter().enumerate() {
            w.login(at(k as i64), "10.9.0.5", "app-01", u, "Kerberos");
            w.login(at(30 + k as i64), "jump-01", "app-01", u, "Kerberos");
            w.login(at(60 + k as i64), "term-srv", "app-01", u, "Kerberos");
        }
        // one person's machine at a fixed address, with a few accounts of their own
        for (k, u) in ["carol", "carol_adm", "root"].iter().enumerate() {
            w.login(at(90 + k as i64), "10.9.0.6", "app-01", u, "Kerberos");
        }
        // service tickets and system identities do not make an address shared
        for k in 0..8 {
            w.login(at(120 + k), "10.9.0.7", "app-01", "ANONYMOUS LOGON", "NTLM");
        }
    }
    let id = |w: &mut World, n: &str| w.host_id(n);
    let (pool, fixed, quiet, jump, term, nat) = (
        id(&mut w, "10.9.0.5"),
        id(&mut w, "10.9.0.6"),
        id(&mut w, "10.9.0.7"),
        id(&mut w, "jump-01"),
        id(&mut w, "term-srv"),
        id(&mut w, "vpn-nat"),
    );
    let mut seen = Vec::new();
    let d = day_by_day(&mut w, 3, |day, d| {
        let f = d.fleet();
        seen.push(f.foothold(pool));
        for h in [fixed, quiet] {
            assert_eq!(f.foothold(h), Foothold::Unknown, "day {day}: host {h}");
        }
        assert_eq!(f.foothold(jump), Foothold::Inner, "day {day}: a jump host is a host");
        assert_eq!(f.foothold(term), Foothold::Unknown, "day {day}: named by logs: a host");
        assert_eq!(f.foothold(nat), Foothold::Pool, "day {day}: a pool by its role");
        assert!(!f.is_door(pool) && !f.exposed_server(nat));
    });
    assert_eq!(seen, vec![Foothold::Unknown, Foothold::Pool, Foothold::Pool]);
    assert_eq!(d.fleet().learned().learned(), (vec![], vec![pool]));
    // the address stays in the case as a host of its own (evidence), named by its address
    assert_eq!(w.catalog.hosts.name(pool), Some("10.9.0.5"));
}

/// A range whose addresses are handed out (DHCP, VPN) is a pool as a whole, though no one
/// address of it is shared within a day: five accounts each seen leaving a third different
/// address of it within a week. A person with a desktop and a laptop at fixed addresses of
/// another range moves between two, and that range stays addresses of hosts.
#[test]
fn ranges_that_hand_addresses_out_are_pools() {
    let hosts = vec![host("app-01", "tokyo", "Japan")];
    let mut w = World::with_sites(
        hosts,
        &[("10.20.0.0/16", "tokyo-dhcp"), ("10.30.0.0/16", "tokyo-office")],
    );
    let day0 = t("2026-03-02T00:00:00Z");
    for day in 0..4 {
        let at = |m: i64| Time(day0.0 + day * D + 8 * H + m * 60 * S);
        for k in 1..=5 {
            // a new lease every day
            let addr = format!("10.20.{day}.{k}");
            w.login(at(k), &addr, "app-01", &format!("u{k}"), "Kerberos");
        }
        for (m, addr) in [(10, "10.30.0.6"), (11, "10.30.0.7"), (12, "10.30.0.6")] {
            w.login(at(m), addr, "app-01", "carol", "Kerberos");
        }
        w.login(at(13), "10.30.0.8", "app-01", "dave", "Kerberos");
    }
    // a lease first seen once the range is known to hand addresses out
    w.login(Time(day0.0 + 3 * D + 9 * H), "10.20.9.9", "app-01", "u9", "Kerberos");
    let id = |w: &mut World, n: &str| w.host_id(n);
    let (first, late, desk, laptop, dave) = (
        id(&mut w, "10.20.0.1"),
        id(&mut w, "10.20.9.9"),
        id(&mut w, "10.30.0.6"),
        id(&mut w, "10.30.0.7"),
        id(&mut w, "10.30.0.8"),
    );
    let mut seen = Vec::new();
    day_by_day(&mut w, 4, |day, d| {
        let f = d.fleet();
        seen.push(f.foothold(first));
        for h in [desk, laptop, dave] {
            assert_eq!(f.foothold(h), Foothold::Unknown, "day {day}: host {h}");
        }
        if day == 3 {
            assert_eq!(f.foothold(late), Foothold::Pool);
        }
    });
    use Foothold::*;
    assert_eq!(seen, vec![Unknown, Unknown, Pool, Pool], "a pool from the third lease");
}

/// One account that keeps appearing on addresses nobody used before (a CI job on new runners)
/// makes its range a pool on its own, from its fifth move to a fresh address within a week;
/// a person cycling between three fixed machines of another range moves as often, but never
/// to a fresh address, and that range stays addresses of hosts.
#[test]
fn one_account_on_ever_new_addresses_makes_its_range_a_pool() {
    let hosts = vec![host("app-01", "tokyo", "Japan")];
    let mut w =
        World::with_sites(hosts, &[("10.20.0.0/16", "tokyo-ci"), ("10.30.0.0/16", "tokyo-office")]);
    let day0 = t("2026-03-02T00:00:00Z");
    for day in 0..4 {
        for run in 0..2 {
            let at = Time(day0.0 + day * D + (9 + run) * H);
            w.login(at, &format!("10.20.{day}.{run}"), "app-01", "svc-ci", "publickey");
        }
        for (k, addr) in ["10.30.0.6", "10.30.0.7", "10.30.0.8"].iter().enumerate() {
            let at = Time(day0.0 + day * D + 12 * H + k as i64 * H);
            w.login(at, addr, "app-01", "carol", "Kerberos");
        }
    }
    let first = w.host_id("10.20.0.0");
    let desk = w.host_id("10.30.0.6");
    let mut seen = Vec::new();
    day_by_day(&mut w, 4, |day, d| {
        let f = d.fleet();
        seen.push(f.foothold(first));
        assert_eq!(f.foothold(desk), Foothold::Unknown, "day {day}: carol's desk");
    });
    use Foothold::*;
    // moves: the third address (day 1) and every one after it; the fifth on day 3
    assert_eq!(seen, vec![Unknown, Unknown, Unknown, Pool], "a pool from the fifth move");
}

/// What was learned survives a `watch` checkpoint: a detector stopped mid-stream and restored
/// knows the same doors and pools as one that never stopped.
#[test]
fn learned_facts_survive_a_checkpoint() {
    let mut w = World::new(vec![host("ws-anna", "tokyo", "Japan")], vec![]);
    let day0 = t("2026-03-02T00:00:00Z");
    for day in 0..4 {
        console(&mut w, Time(day0.0 + day * D + 8 * H), "ws-anna", "anna");
        for u in ["a", "b", "c", "d", "e"] {
            w.login(Time(day0.0 + day * D + 9 * H), "10.9.0.5", "ws-anna", u, "Kerberos");
        }
    }
    w.events.sort_by_time();
    let n = w.events.len();
    let slice = |r: std::ops::Range<usize>| {
        let mut b = EventTable::default();
        b.extend_from_range(&w.events, r);
        b
    };
    let mut whole = Detector::new(&w.catalog, &w.inventory, DetectConfig::default());
    whole.feed(&slice(0..n));
    for cut in [1, n / 3, n / 2, n - 1] {
        let mut d = Detector::new(&w.catalog, &w.inventory, DetectConfig::default());
        d.feed(&slice(0..cut));
        let bytes = bincode::serialize(&d).unwrap();
        let mut d: Detector = bincode::deserialize(&bytes).unwrap();
        d.restore_fleet(&w.catalog, &w.inventory);
        d.feed(&slice(cut..n));
        assert_eq!(d.fleet().learned(), whole.fleet().learned(), "cut at {cut} of {n}");
    }
    let anna = w.host_id("ws-anna");
    assert_eq!(whole.fleet().foothold(anna), Foothold::Door);
}
