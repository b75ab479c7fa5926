//! Each world shows the routine it claims, measured on its generated logins.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use hopscope_sim::fleet::Role;
use hopscope_sim::hopper::background_logins;
use hopscope_sim::login::{Login, Src};
use hopscope_sim::people::Duty;
use hopscope_sim::world::World;
use hopscope_sim::{scenarios, Scenario, SimOptions, WorldName};

const DAYS: u32 = 42;
const US: i64 = 1_000_000;

fn world(name: WorldName, seed: u64) -> (World, Vec<Login>) {
    let opts = SimOptions {
        scenario: Scenario::Generic,
        world: name,
        intrusions: 0,
        seed,
        days: Some(DAYS),
        ..SimOptions::default()
    };
    let w = scenarios::build(&opts).unwrap().world;
    let mut l = background_logins(&w, 0..DAYS);
    l.retain(|l| l.ok);
    l.sort_by_key(|l| l.time);
    (w, l)
}

fn day(w: &World, t: i64) -> u32 {
    ((t / US).div_euclid(86_400) - w.first_day()) as u32
}

fn in_net(ip: Ipv4Addr, a: u8, b: u8) -> bool {
    ip.octets()[0] == a && ip.octets()[1] == b
}

fn acct<'a>(w: &'a World, l: &Login) -> &'a str {
    &w.people.get(l.account).name
}

#[test]
fn remote_admins_reach_jump_hosts_from_changing_home_addresses_then_work_on() {
    for seed in [1, 2] {
        let (w, l) = world(WorldName::RemoteAdmins, seed);
        let home: Vec<&Login> = l
            .iter()
            .filter(|x| matches!(x.src, Src::External(ip) if in_net(ip, 198, 18)))
            .collect();
        assert!(home.len() >= 20, "seed {seed}: {} logins from home", home.len());
        assert!(home.iter().all(|x| w.fleet.host(x.dst).role.is_jump()));
        assert!(home.iter().all(|x| w.fleet.host(x.dst).internet_facing));
        let addrs: BTreeSet<String> = home.iter().map(|x| format!("{:?}", x.src)).collect();
        let admins = w.people.persons.iter().filter(|p| p.duty != Duty::Staff).count();
        assert!(
            addrs.len() > admins,
            "seed {seed}: addresses change ({} for {admins})",
            addrs.len()
        );
        let onward = home
            .iter()
            .filter(|h| {
                l.iter().any(|x| {
                    x.src == Src::Host(h.dst) && x.time > h.time && x.time <= h.time + 150 * US
                })
            })
            .count();
        assert!(onward * 10 >= home.len() * 9, "seed {seed}: {onward} of {} go on", home.len());
    }
}

#[test]
fn partners_fetch_daily_from_a_few_fixed_addresses_into_internet_facing_servers() {
    for seed in [1, 2] {
        let (w, l) = world(WorldName::PartnerSftp, seed);
        let sftp: Vec<&Login> = l
            .iter()
            .filter(|x| matches!(x.src, Src::External(ip) if in_net(ip, 198, 19)))
            .collect();
        assert!(sftp.iter().all(|x| w.fleet.host(x.dst).internet_facing));
        assert!(sftp.iter().all(|x| acct(&w, x).starts_with("xfer-")));
        let addrs: BTreeSet<String> = sftp.iter().map(|x| format!("{:?}", x.src)).collect();
        assert!((3..=16).contains(&addrs.len()), "seed {seed}: {} addresses", addrs.len());
        let days: BTreeSet<u32> = sftp.iter().map(|x| day(&w, x.time)).collect();
        assert!(days.len() as u32 >= DAYS * 5 / 7, "seed {seed}: on {} days", days.len());
    }
}

#[test]
fn admin_chains_go_bastion_app_database_with_one_account_within_minutes() {
    let (w, l) = world(WorldName::AdminChains, 3);
    let (_, base) = world(WorldName::Baseline, 3);
    let chains = |l: &[Login]| {
        l.iter()
            .filter(|a| {
                let (Src::Host(b), dst) = (a.src, a.dst) else { return false };
                w.fleet.host(b).role == Role::Bastion
                    && w.fleet.host(dst).role == Role::Application
                    && l.iter().any(|x| {
                        x.src == Src::Host(dst)
                            && w.fleet.host(x.dst).role == Role::Database
                            && x.account == a.account
                            && x.time > a.time
                            && x.time <= a.time + 600 * US
                    })
            })
            .count()
    };
    let (n, b) = (chains(&l), chains(&base));
    assert!(n >= 20 && b == 0, "{n} chains (baseline {b})");
}

#[test]
fn the_maintenance_weekend_touches_half_the_fleet_and_hires_use_new_servers() {
    let (w, l) = world(WorldName::MaintenanceHires, 4);
    let admin_accts: BTreeSet<u32> = w
        .people
        .persons
        .iter()
        .filter(|p| p.duty != Duty::Staff)
        .flat_map(|p| [Some(p.user), p.admin].into_iter().flatten())
        .collect();
    let servers: BTreeSet<u32> = w
        .fleet
        .ids()
        .filter(|&h| w.fleet.host(h).role.is_server() && w.fleet.host(h).active(w.maintenance))
        .collect();
    let touched: BTreeSet<u32> = l
        .iter()
        .filter(|x| {
            let d = day(&w, x.time);
            (d == w.maintenance || d == w.maintenance + 1)
                && servers.contains(&x.dst)
                && (admin_accts.contains(&x.account) || x.account == w.people.root)
        })
        .map(|x| x.dst)
        .collect();
    assert!(touched.len() * 2 >= servers.len(), "{} of {} servers", touched.len(), servers.len());
    let m = w.routines.maintenance.as_ref().unwrap();
    assert!(m.hires.len() >= 2);
    let mut used = 0;
    for h in &m.hires {
        let p = &w.people.persons[h.person.unwrap() as usize];
        for &s in &h.servers {
            // the server exists from the hire day; the hire uses it from their workstation
            let added = w.fleet.host(s).added;
            assert!(l.iter().filter(|x| x.dst == s).all(|x| day(&w, x.time) + 1 >= added));
            used += l
                .iter()
                .any(|x| x.dst == s && x.account == p.user && x.src == Src::Host(p.workstation))
                as usize;
        }
    }
    assert!(used >= 2, "only {used} new hires use their new servers");
}

#[test]
fn config_management_logs_into_every_server_daily_and_the_scanner_into_all_hosts() {
    let (w, l) = world(WorldName::ConfigManagement, 5);
    let c = w.routines.config.as_ref().unwrap();
    let mut per_day: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    let mut scanned = BTreeSet::new();
    for x in &l {
        if x.account == c.account {
            per_day.entry(day(&w, x.time)).or_default().insert(x.dst);
        }
        if x.account == c.scan_account {
            scanned.insert(x.dst);
        }
    }
    for d in 1..DAYS - 1 {
        let servers = w
            .fleet
            .ids()
            .filter(|&h| w.fleet.host(h).role.is_server() && w.fleet.host(h).active(d))
            .count();
        let n = per_day.get(&d).map(|s| s.len()).unwrap_or(0);
        assert!(n * 10 >= servers * 9, "day {d}: {n} of {servers} servers");
    }
    let ws = scanned.iter().filter(|&&h| w.fleet.host(h).role == Role::Workstation).count();
    assert!(ws >= 20 && scanned.len() * 10 >= w.fleet.hosts.len() * 8, "{} scanned", scanned.len());
}

#[test]
fn helpdesk_staff_log_into_many_workstations_every_day() {
    let (w, l) = world(WorldName::Helpdesk, 6);
    let hd: BTreeSet<u32> =
        w.routines.helpdesk.as_ref().unwrap().staff.iter().map(|s| s.1).collect();
    let hits: Vec<&Login> = l.iter().filter(|x| hd.contains(&x.account)).collect();
    let targets: BTreeSet<u32> = hits.iter().map(|x| x.dst).collect();
    assert!(hits.iter().all(|x| w.fleet.host(x.dst).role == Role::Workstation));
    assert!(targets.len() >= 20, "{} workstations", targets.len());
    let days: BTreeSet<u32> = hits.iter().map(|x| day(&w, x.time)).collect();
    assert!(
        hits.len() >= 5 * days.len() * hd.len() / 2,
        "{} logins on {} days",
        hits.len(),
        days.len()
    );
}

#[test]
fn vdi_addresses_are_shared_by_several_accounts_a_day_and_named_by_no_host() {
    let (w, l) = world(WorldName::VdiPool, 7);
    let mut by: BTreeMap<(u32, Ipv4Addr), BTreeSet<u32>> = BTreeMap::new();
    for x in &l {
        if let Src::External(ip) = x.src {
            if ip.octets()[0] == 10 && ip.octets()[2] == 200 {
                by.entry((day(&w, x.time), ip)).or_default().insert(x.account);
            }
        }
    }
    assert!(w.fleet.hosts.iter().all(|h| h.ip.octets()[2] != 200));
    let shared = by.values().filter(|a| a.len() >= 2).count();
    let accounts: BTreeSet<u32> = by.values().flatten().copied().collect();
    assert!(
        shared >= 10 && accounts.len() >= 10,
        "{shared} shared (day, address), {} accounts",
        accounts.len()
    );
}

#[test]
fn ci_deploys_fan_out_from_agents_and_ephemeral_runners_bring_new_pairs_daily() {
    let (w, l) = world(WorldName::CiDeploy, 8);
    let c = w.routines.ci.as_ref().unwrap();
    let mut seen = BTreeSet::new();
    let mut late_new = 0;
    let mut ephemeral = 0;
    for x in l.iter().filter(|x| x.account == c.account) {
        let src = match x.src {
            Src::Host(s) => {
                assert!(c.agents.contains(&s));
                format!("{s}")
            }
            Src::External(ip) => {
                assert!(ip.octets()[0] == 10 && ip.octets()[2] == 210, "{ip}");
                ephemeral += 1;
                ip.to_string()
            }
            Src::Local => panic!("deploys come from agents"),
        };
        assert!(matches!(w.fleet.host(x.dst).role, Role::Application | Role::Web));
        if seen.insert((src, x.dst)) && day(&w, x.time) >= 21 {
            late_new += 1;
        }
    }
    assert!(ephemeral >= 20, "{ephemeral} deploys from ephemeral runners");
    assert!(late_new >= 10, "{} pairs, {late_new} new after three weeks", seen.len());
}

#[test]
fn on_call_admins_log_in_at_night_from_home_anywhere() {
    let (w, l) = world(WorldName::OnCall, 9);
    let night: Vec<&Login> =
        l.iter().filter(|x| matches!(x.src, Src::External(ip) if in_net(ip, 198, 18))).collect();
    assert!(night.len() >= 10, "{} night logins", night.len());
    let sites: BTreeSet<u16> = night.iter().map(|x| w.fleet.host(x.dst).site).collect();
    assert!(sites.len() >= 3, "pages at {} sites", sites.len());
}

#[test]
fn the_enterprise_world_has_every_routine() {
    let (w, _) = world(WorldName::Enterprise, 10);
    let r = &w.routines;
    assert!(r.remote_admins.is_some() && !r.partners.is_empty() && r.admin_chains.is_some());
    assert!(r.maintenance.is_some() && r.config.is_some() && r.helpdesk.is_some());
    assert!(r.vdi.is_some() && r.ci.is_some() && r.on_call.is_some());
    let (b, _) = world(WorldName::Baseline, 10);
    assert!(b.routines.partners.is_empty() && b.routines.config.is_none());
}
