//! Worlds: named sets of routines a fleet has on top of the baseline (the people, jobs,
//! scanners and churn every world shares). A world is the background; intrusions are
//! injected on top of it, so every world runs with every scenario, seed, scale and attacker.
//!
//! Each routine's rates are drawn per seed within stated ranges ([`Routines::draw`]), from a
//! random stream of its own: the baseline world draws nothing, adds no host, account or
//! actor, and so writes exactly what the simulator wrote before worlds existed.

use std::net::Ipv4Addr;

use rand::seq::SliceRandom;
use rand::Rng as _;

use crate::fleet::{Fleet, Role};
use crate::rng::{key, rng, Rng, Stream};

/// A routine real fleets have and the baseline lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Routine {
    /// Admins reach the jump hosts and bastions directly from home on some days.
    RemoteAdmins,
    /// Partners fetch files by SFTP every day from fixed public addresses.
    PartnerSftp,
    /// Admin chains within minutes: bastion → application server → its database.
    AdminChains,
    /// A maintenance weekend touching half the fleet; new hires with new servers.
    MaintenanceHires,
    /// Configuration management (Ansible) into every server; a vulnerability scanner.
    ConfigManagement,
    /// Helpdesk staff logging into many users' workstations.
    Helpdesk,
    /// Staff on VDI desktops whose addresses come from a shared pool.
    VdiPool,
    /// CI/CD deploy jobs from a pool of build agents into application and web servers.
    CiDeploy,
    /// On-call rotation: the week's on-call admin answers night pages from home, any site.
    OnCall,
}

impl Routine {
    pub const ALL: [Routine; 9] = [
        Routine::RemoteAdmins,
        Routine::PartnerSftp,
        Routine::AdminChains,
        Routine::MaintenanceHires,
        Routine::ConfigManagement,
        Routine::Helpdesk,
        Routine::VdiPool,
        Routine::CiDeploy,
        Routine::OnCall,
    ];
}

/// A named world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum WorldName {
    /// The simulator's original world: no routine beyond the baseline.
    #[default]
    Baseline,
    RemoteAdmins,
    PartnerSftp,
    AdminChains,
    MaintenanceHires,
    ConfigManagement,
    Helpdesk,
    VdiPool,
    CiDeploy,
    OnCall,
    /// Every routine at once.
    Enterprise,
}

impl WorldName {
    pub const ALL: [WorldName; 11] = [
        WorldName::Baseline,
        WorldName::RemoteAdmins,
        WorldName::PartnerSftp,
        WorldName::AdminChains,
        WorldName::MaintenanceHires,
        WorldName::ConfigManagement,
        WorldName::Helpdesk,
        WorldName::VdiPool,
        WorldName::CiDeploy,
        WorldName::OnCall,
        WorldName::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorldName::Baseline => "baseline",
            WorldName::RemoteAdmins => "remote-admins",
            WorldName::PartnerSftp => "partner-sftp",
            WorldName::AdminChains => "admin-chains",
            WorldName::MaintenanceHires => "maintenance-hires",
            WorldName::ConfigManagement => "config-management",
            WorldName::Helpdesk => "helpdesk",
            WorldName::VdiPool => "vdi-pool",
            WorldName::CiDeploy => "ci-deploy",
            WorldName::OnCall => "on-call",
            WorldName::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<WorldName> {
        let s = s.trim();
        WorldName::ALL.into_iter().find(|w| w.as_str().eq_ignore_ascii_case(s))
    }

    /// The routines this world adds to the baseline.
    pub fn routines(self) -> Vec<Routine> {
        match self {
            WorldName::Baseline => vec![],
            WorldName::RemoteAdmins => vec![Routine::RemoteAdmins],
            WorldName::PartnerSftp => vec![Routine::PartnerSftp],
            WorldName::AdminChains => vec![Routine::AdminChains],
            WorldName::MaintenanceHires => vec![Routine::MaintenanceHires],
            WorldName::ConfigManagement => vec![Routine::ConfigManagement],
            WorldName::Helpdesk => vec![Routine::Helpdesk],
            WorldName::VdiPool => vec![Routine::VdiPool],
            WorldName::CiDeploy => vec![Routine::CiDeploy],
            WorldName::OnCall => vec![Routine::OnCall],
            WorldName::Enterprise => Routine::ALL.to_vec(),
        }
    }
}

/// Remote admins: on a share of their working days, admins connect from home straight to
/// their site's jump host or bastion (made internet-facing) and work on from there.
#[derive(Clone, Debug)]
pub struct RemoteAdmins {
    /// Share of an admin's working days worked from home: 0.10–0.40.
    pub home_share: f64,
    /// A home address lasts this many days before the ISP hands out another: 5–30.
    pub renew_days: u32,
}

/// One partner organisation fetching files.
#[derive(Clone, Debug)]
pub struct Partner {
    /// Local account on the transfer server (`xfer-<partner>`).
    pub account: u32,
    /// The partner's fixed public addresses (1–2).
    pub addrs: Vec<Ipv4Addr>,
    /// The internet-facing server it fetches from.
    pub server: u32,
    /// Local hour of the first run of the day (server's site).
    pub hour: f64,
    /// Runs a day: 1–4, evenly spaced.
    pub runs: u32,
    /// Weekdays only (else every day).
    pub weekdays_only: bool,
}

/// Admin chains: bastion → application server → its backend database, one account.
#[derive(Clone, Debug)]
pub struct AdminChains {
    /// Most chains an admin runs on a working day (0 to this many, uniform): 1–4.
    pub max_per_day: u32,
    /// Longest pause between a chain's hops, seconds: 120–600 (shortest 20 s).
    pub max_gap_s: u32,
    /// Application server → its backend database (same site).
    pub backend: Vec<(u32, u32)>,
}

/// The maintenance weekend touches half the fleet; new hires bring new servers.
#[derive(Clone, Debug)]
pub struct MaintenanceHires {
    /// Share of all servers (every site) each admin touches on the maintenance weekend:
    /// 0.40–0.60.
    pub touch_share: f64,
    /// New hires: their workstation and the servers only they use (first used on the
    /// hire day). Filled with the person index once people exist.
    pub hires: Vec<Hire>,
}

/// A new hire and the servers set up for them.
#[derive(Clone, Debug)]
pub struct Hire {
    pub workstation: u32,
    pub servers: Vec<u32>,
    /// Index into `People::persons` (set after people are built).
    pub person: Option<u32>,
}

/// Configuration management and a vulnerability scanner.
#[derive(Clone, Debug)]
pub struct ConfigManagement {
    /// The Ansible control node (`<hq>-mgmt-01`) and its account `svc-ansible`.
    pub control: u32,
    pub account: u32,
    /// Runs every this many hours into every server: 2–8.
    pub every_hours: u32,
    /// The scanner (`<hq>-mgmt-02`) and its account `svc-scan`.
    pub scanner: u32,
    pub scan_account: u32,
    /// Share of all hosts (workstations too) scanned each day, in a rotating slice: 0.15–0.50.
    pub scan_share: f64,
}

/// Helpdesk staff.
#[derive(Clone, Debug)]
pub struct Helpdesk {
    /// Person indices and their `hd-` accounts.
    pub staff: Vec<(u32, u32)>,
    /// Tickets a helpdesk person handles on a working day: 5 to this many (10–25).
    pub max_tickets: u32,
}

/// VDI: staff whose logins come from a pooled desktop address that no inventory row names.
#[derive(Clone, Debug)]
pub struct VdiPool {
    /// Share of staff on VDI: 0.30–0.80.
    pub share: f64,
    /// Pool addresses per site: 8–48, `10.<site>.200.10` upwards.
    pub pool: u32,
}

/// CI/CD deploys.
#[derive(Clone, Debug)]
pub struct CiDeploy {
    /// Build agents (`<hq>-ci-NN`), a pool of 3–8.
    pub agents: Vec<u32>,
    pub account: u32,
    /// Deploys on a working day: 4 to this many (8–24); each to 1–4 servers.
    pub max_deploys: u32,
    /// Share of deploys run on an autoscaled runner of the day (an address in
    /// `10.<hq>.210.0/24` no inventory row names) instead of a fixed agent: 0.3–0.7.
    pub ephemeral_share: f64,
}

/// On-call rotation.
#[derive(Clone, Debug)]
pub struct OnCall {
    /// Night pages per night for the week's on-call admin: 0 to this many (1–4).
    pub max_pages: u32,
}

/// The routines of a world with the rates drawn for its seed.
#[derive(Clone, Debug, Default)]
pub struct Routines {
    pub world: WorldName,
    pub remote_admins: Option<RemoteAdmins>,
    pub partners: Vec<Partner>,
    pub admin_chains: Option<AdminChains>,
    pub maintenance: Option<MaintenanceHires>,
    pub config: Option<ConfigManagement>,
    pub helpdesk: Option<Helpdesk>,
    pub vdi: Option<VdiPool>,
    pub ci: Option<CiDeploy>,
    pub on_call: Option<OnCall>,
}

/// What a world needs in the fleet before people are built, and the routines' rates.
pub fn draw_fleet(
    world: WorldName,
    seed: u64,
    fleet: &mut Fleet,
    start: jiff::civil::Date,
    days: u32,
    maint_date: jiff::civil::Date,
) -> Routines {
    let on = |d: u32| start.checked_add(jiff::Span::new().days(d as i64)).unwrap_or(start);
    let mut rt = Routines { world, ..Routines::default() };
    let hq = fleet.sites.iter().position(|s| s.hq).unwrap_or(0);
    for routine in world.routines() {
        let mut r = rng(seed, Stream::World, routine as u64, 0);
        match routine {
            Routine::RemoteAdmins => {
                rt.remote_admins = Some(RemoteAdmins {
                    home_share: r.gen_range(0.10..0.40),
                    renew_days: r.gen_range(5..=30),
                });
                for s in 0..fleet.sites.len() {
                    for role in [Role::Jump, Role::Bastion] {
                        if let Some(&h) = fleet.of_role(s, role).first() {
                            if !fleet.host(h).internet_facing {
                                fleet.expose(h);
                            }
                        }
                    }
                }
            }
            Routine::PartnerSftp => {
                // one or two transfer servers, internet-facing, at random sites
                let mut servers = Vec::new();
                for _ in 0..r.gen_range(1..=2) {
                    let site = r.gen_range(0..fleet.sites.len());
                    let h = fleet.add(site, Role::Transfer, maint_date);
                    fleet.hosts[h as usize].owner = "it-ops".into();
                    fleet.expose(h);
                    servers.push(h);
                }
                let n = r.gen_range(3..=8);
                for k in 0..n {
                    let addrs = (0..r.gen_range(1..=2))
                        .map(|j| Ipv4Addr::new(198, 19, (k * 16 + j) as u8, r.gen_range(1..255)))
                        .collect();
                    rt.partners.push(Partner {
                        account: u32::MAX,
                        addrs,
                        server: *servers.choose(&mut r).expect("servers"),
                        hour: r.gen_range(0.0..22.0),
                        runs: r.gen_range(1..=4),
                        weekdays_only: r.gen_bool(0.4),
                    });
                }
            }
            Routine::AdminChains => {
                let mut backend = Vec::new();
                for s in 0..fleet.sites.len() {
                    let dbs = fleet.of_role(s, Role::Database);
                    for (k, app) in fleet.of_role(s, Role::Application).into_iter().enumerate() {
                        if !dbs.is_empty() {
                            backend.push((app, dbs[k % dbs.len()]));
                        }
                    }
                }
                rt.admin_chains = Some(AdminChains {
                    max_per_day: r.gen_range(1..=4),
                    max_gap_s: r.gen_range(120..=600),
                    backend,
                });
            }
            Routine::MaintenanceHires => {
                let staff = fleet
                    .ids()
                    .filter(|&h| {
                        fleet.host(h).role == Role::Workstation && fleet.host(h).added == 0
                    })
                    .count();
                let share = r.gen_range(0.10..0.25);
                let mut hires = Vec::new();
                for _ in 0..((staff as f64 * share).round() as usize).max(2) {
                    let site = r.gen_range(0..fleet.sites.len());
                    let day = r.gen_range(days / 10..days - days / 10);
                    let ws = fleet.add(site, Role::Workstation, maint_date);
                    fleet.hosts[ws as usize].added = day;
                    fleet.hosts[ws as usize].last_patched = on(days.saturating_sub(10).max(day));
                    let servers = (0..r.gen_range(1..=2))
                        .map(|_| {
                            let role =
                                if r.gen_bool(0.5) { Role::Application } else { Role::Database };
                            let h = fleet.add(site, role, maint_date);
                            let x = &mut fleet.hosts[h as usize];
                            x.added = day;
                            x.last_patched = on(day.max(days / 2));
                            x.owner =
                                if role == Role::Database { "dba-team" } else { "app-team" }.into();
                            h
                        })
                        .collect();
                    hires.push(Hire { workstation: ws, servers, person: None });
                }
                rt.maintenance =
                    Some(MaintenanceHires { touch_share: r.gen_range(0.40..0.60), hires });
            }
            Routine::ConfigManagement => {
                let control = fleet.add(hq, Role::Management, maint_date);
                let scanner = fleet.add(hq, Role::Management, maint_date);
                for h in [control, scanner] {
                    fleet.hosts[h as usize].owner = "it-ops".into();
                }
                rt.config = Some(ConfigManagement {
                    control,
                    account: u32::MAX,
                    every_hours: r.gen_range(2..=8),
                    scanner,
                    scan_account: u32::MAX,
                    scan_share: r.gen_range(0.15..0.50),
                });
            }
            Routine::Helpdesk => {
                rt.helpdesk =
                    Some(Helpdesk { staff: Vec::new(), max_tickets: r.gen_range(10..=25) });
            }
            Routine::VdiPool => {
                rt.vdi =
                    Some(VdiPool { share: r.gen_range(0.30..0.80), pool: r.gen_range(8..=48) });
            }
            Routine::CiDeploy => {
                let agents: Vec<u32> = (0..r.gen_range(3..=8))
                    .map(|_| fleet.add(hq, Role::Build, maint_date))
                    .collect();
                for &h in &agents {
                    fleet.hosts[h as usize].owner = "devops".into();
                }
                rt.ci = Some(CiDeploy {
                    agents,
                    account: u32::MAX,
                    max_deploys: r.gen_range(8..=24),
                    ephemeral_share: r.gen_range(0.3..0.7),
                });
            }
            Routine::OnCall => {
                rt.on_call = Some(OnCall { max_pages: r.gen_range(1..=4) });
            }
        }
    }
    rt
}

impl Routines {
    /// A person's home address on a day: 198.18.0.0/16 (RFC 2544 space, never a fleet or
    /// scanner address), changing every `renew_days`.
    pub fn home_addr(seed: u64, person: u32, day: u32, renew_days: u32) -> Ipv4Addr {
        let phase = (key(seed, Stream::World, 1000 + person as u64, 0) % renew_days as u64) as u32;
        let epoch = (day + phase) / renew_days.max(1);
        let k = key(seed, Stream::World, 2000 + person as u64, epoch as u64);
        Ipv4Addr::new(198, 18, (k >> 8) as u8, 1 + (k % 253) as u8)
    }

    /// Whether a person works on VDI (a fixed draw per person).
    pub fn on_vdi(&self, seed: u64, person: u32) -> bool {
        self.vdi.as_ref().is_some_and(|v| {
            let k = key(seed, Stream::World, 3000 + person as u64, 0);
            ((k >> 11) as f64 / (1u64 << 53) as f64) < v.share
        })
    }

    /// The VDI pool address a person gets on a day at `site_octet`.
    pub fn vdi_addr(&self, seed: u64, person: u32, day: u32, site_octet: u8) -> Option<Ipv4Addr> {
        let v = self.vdi.as_ref()?;
        let k = key(seed, Stream::World, 4000 + person as u64, day as u64);
        Some(Ipv4Addr::new(10, site_octet, 200, 10 + (k % v.pool as u64) as u8))
    }
}

/// A fresh generator for a routine's per-day decisions that must not disturb the
/// baseline's streams.
pub fn side_rng(seed: u64, what: u64, who: u64, day: u32) -> Rng {
    rng(seed, Stream::World, (what << 40) | who, day as u64 + 1)
}

/// Accounts and people the routines need, once people exist (after the baseline's own
/// accounts, so the baseline's account ids never move).
pub fn draw_people(
    rt: &mut Routines,
    seed: u64,
    fleet: &Fleet,
    people: &mut crate::people::People,
) {
    use crate::people::{AccountKind, Duty};
    let domain = fleet.domain.clone();
    for (k, p) in rt.partners.iter_mut().enumerate() {
        const NAMES: &[&str] =
            &["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"];
        let name = format!("xfer-{}", NAMES[k % NAMES.len()]);
        p.account = people.account(&name, None, AccountKind::Local, false);
    }
    if let Some(c) = rt.config.as_mut() {
        c.account = people.account("svc-ansible", Some(&domain), AccountKind::Service, true);
        c.scan_account = people.account("svc-scan", Some(&domain), AccountKind::Service, true);
    }
    if let Some(c) = rt.ci.as_mut() {
        c.account = people.account("svc-ci", Some(&domain), AccountKind::Service, false);
    }
    if let Some(m) = rt.maintenance.as_mut() {
        for h in m.hires.iter_mut() {
            h.person = people
                .persons
                .iter()
                .position(|p| p.workstation == h.workstation)
                .map(|i| i as u32);
        }
    }
    if let Some(hd) = rt.helpdesk.as_mut() {
        let mut r = rng(seed, Stream::World, Routine::Helpdesk as u64, 1);
        let mut staff: Vec<u32> = (0..people.persons.len() as u32)
            .filter(|&i| {
                let p = &people.persons[i as usize];
                p.duty == Duty::Staff && p.hired == 0 && p.left.is_none()
            })
            .collect();
        staff.shuffle(&mut r);
        let n = r.gen_range(2..=5).min(staff.len());
        for &i in staff.iter().take(n) {
            let user = people.persons[i as usize].user;
            let name = format!("hd-{}", people.get(user).name);
            let acct = people.account(&name, Some(&domain), AccountKind::Admin, true);
            hd.staff.push((i, acct));
        }
    }
}
