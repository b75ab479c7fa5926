//! The two scenarios: `ntt-2019` (the case in PRODUCT.md) and `generic` (Hopper-style
//! intrusions in a generic multinational fleet). Both share the fleet builder and its churn.

use std::net::Ipv4Addr;

use hopscope_model::Lifecycle;
use jiff::civil::{date, Date};
use rand::seq::SliceRandom;
use rand::Rng as _;

use crate::clients::{client_names, holdings, Holding, RESTRICTED};
use crate::fleet::{Fleet, Role, Site};
use crate::intrusion::{
    attack_login, plan_generic, AccessGraph, Goal, HopKind, Intrusion, MaliciousLogin, Stealth,
};
use crate::login::{flag, Method, Src};
use crate::people::{Duty, People};
use crate::rhythm::Calendar;
use crate::rng::{rng, Rng, Stream};
use crate::timefmt::{days_from_civil, DAY, US};
use crate::world::World;
use crate::{Scenario, SimError, SimOptions};

/// A site and how many hosts of each role it has at scale 1.
struct SiteSpec {
    name: &'static str,
    code: &'static str,
    country: &'static str,
    tz: &'static str,
    octet: u8,
    hq: bool,
    workstations: f64,
    roles: &'static [(Role, u32)],
}

const COMMON: &[(Role, u32)] = &[
    (Role::DomainController, 1),
    (Role::Jump, 1),
    (Role::Bastion, 1),
    (Role::File, 1),
    (Role::Database, 2),
    (Role::Application, 2),
    (Role::Ops, 1),
];

const SITES: &[SiteSpec] = &[
    SiteSpec {
        name: "tokyo",
        code: "jp",
        country: "Japan",
        tz: "Asia/Tokyo",
        octet: 10,
        hq: true,
        workstations: 12.0,
        roles: &[(Role::Mail, 1), (Role::Backup, 1), (Role::Crm, 1)],
    },
    SiteSpec {
        name: "ashburn",
        code: "us",
        country: "United States",
        tz: "America/New_York",
        octet: 20,
        hq: false,
        workstations: 6.0,
        roles: &[(Role::Web, 1)],
    },
    SiteSpec {
        name: "singapore",
        code: "sg",
        country: "Singapore",
        tz: "Asia/Singapore",
        octet: 30,
        hq: false,
        workstations: 4.0,
        roles: &[(Role::Ops, 2)],
    },
    SiteSpec {
        name: "bangkok",
        code: "th",
        country: "Thailand",
        tz: "Asia/Bangkok",
        octet: 40,
        hq: false,
        workstations: 4.0,
        roles: &[],
    },
    SiteSpec {
        name: "frankfurt",
        code: "de",
        country: "Germany",
        tz: "Europe/Berlin",
        octet: 50,
        hq: false,
        workstations: 5.0,
        roles: &[(Role::Web, 1)],
    },
    SiteSpec {
        name: "sydney",
        code: "au",
        country: "Australia",
        tz: "Australia/Sydney",
        octet: 60,
        hq: false,
        workstations: 3.0,
        roles: &[(Role::Web, 1)],
    },
];

/// Roles whose count grows with the scale.
fn scales(role: Role) -> bool {
    matches!(role, Role::Workstation | Role::Database | Role::Application | Role::File)
}

/// Days simulated per generic intrusion by default: intrusions start within 35 % of the
/// period ([`crate::intrusion::start_days`]), so 4 days each gives 0.7 new intrusions a day,
/// the density of Hopper's evaluation (326 attacks over 15 months of logs). Packed closer, a
/// per-day alert budget measures how many intrusions a day can hold, not the detector.
pub const DAYS_PER_INTRUSION: u32 = 4;

/// The generic scenario's default period: 45·√scale days (at least 14), longer when the
/// intrusions need room ([`DAYS_PER_INTRUSION`]).
pub fn generic_days(scale: f64, intrusions: usize) -> u32 {
    let by_scale = ((45.0 * scale.sqrt()).round() as u32).max(14);
    let by_intrusions = (intrusions.min(10_000) as u32).saturating_mul(DAYS_PER_INTRUSION);
    by_scale.max(by_intrusions)
}

/// What a scenario produces before any log is written.
pub struct Built {
    pub world: World,
    pub intrusions: Vec<Intrusion>,
    /// Hopper attacks no start made succeed (`crate::hopper::Discarded`): not in the logs.
    pub discarded: Vec<crate::hopper::Discarded>,
    pub data: Vec<Holding>,
}

/// Build the scenario the options ask for.
pub fn build(opts: &SimOptions) -> Result<Built, SimError> {
    if !(opts.scale > 0.0 && opts.scale.is_finite()) {
        return Err(SimError::Options(format!(
            "scale must be a positive number, found {}",
            opts.scale
        )));
    }
    let (start, days, protect): (Date, u32, &[&str]) = match opts.scenario {
        Scenario::Ntt2019 => {
            (date(2019, 6, 1), 366, &["sg-ops-03", "th-app-02", "us-jump-01", "jp-crm-01"])
        }
        Scenario::Generic => (date(2021, 3, 1), generic_days(opts.scale, opts.intrusions), &[]),
    };
    let start = opts.start.unwrap_or(start);
    let days = match opts.end {
        Some(end) => {
            let d = days_from_civil(end.year() as i32, end.month() as u32, end.day() as u32)
                - days_from_civil(start.year() as i32, start.month() as u32, start.day() as u32);
            if d < 7 {
                return Err(SimError::Options(
                    "the simulated period must be at least 7 days".into(),
                ));
            }
            d as u32
        }
        None => match opts.days {
            Some(d) if d < 7 => {
                return Err(SimError::Options(
                    "the simulated period must be at least 7 days".into(),
                ))
            }
            Some(d) => d,
            None => days,
        },
    };
    let first_day = days_from_civil(start.year() as i32, start.month() as u32, start.day() as u32);
    let mut r = rng(opts.seed, Stream::Fleet, 0, 0);
    // the maintenance weekend: the Saturday closest to the middle
    let mid = days / 2;
    let maintenance =
        (mid..days).find(|d| (first_day + *d as i64 + 3).rem_euclid(7) == 5).unwrap_or(mid);
    let mut fleet = build_fleet(opts.scale, start, days, maintenance, protect, &mut r)?;
    if opts.scenario == Scenario::Ntt2019 {
        let sg = fleet
            .by_name("sg-ops-03")
            .ok_or_else(|| SimError::Options("scale too small for the case".into()))?;
        let h = &mut fleet.hosts[sg as usize];
        h.lifecycle = Lifecycle::Decommissioning;
        h.stale = true;
        h.last_patched = date(2018, 3, 14);
        fleet.expose(sg);
    }
    let maint_date = start.checked_add(jiff::Span::new().days(maintenance as i64)).unwrap_or(start);
    let mut routines =
        crate::worlds::draw_fleet(opts.world, opts.seed, &mut fleet, start, days, maint_date);
    let mut pr = rng(opts.seed, Stream::People, 0, 0);
    let people = People::build(&mut fleet, &mut pr, days, opts.scale);
    let sites: Vec<(jiff::tz::TimeZone, String)> =
        fleet.sites.iter().map(|s| (s.tz.clone(), s.country.clone())).collect();
    let cal = Calendar::new(first_day, days, &sites);
    let mut world = World::new(opts.seed, fleet, people, cal, maintenance);
    crate::worlds::draw_people(&mut routines, opts.seed, &world.fleet, &mut world.people);
    world.routines = routines;
    let graph = AccessGraph::from_world(&world);
    let mut intrusions = Vec::new();
    let mut discarded = Vec::new();
    let mut ir = rng(opts.seed, Stream::Intrusion, 0, 0);
    if opts.scenario == Scenario::Ntt2019 && opts.intrusions > 0 {
        intrusions.push(ntt_intrusion(&world, &mut ir));
    }
    let generic = match opts.scenario {
        Scenario::Ntt2019 => opts.intrusions.saturating_sub(1),
        Scenario::Generic => opts.intrusions,
    };
    // the Hopper attacker moves over the generated logins: generate them once to plan
    let seen = (opts.attacker == crate::Attacker::Hopper && generic > 0)
        .then(|| crate::hopper::history(&world));
    let know = seen.as_ref().map(|s| crate::hopper::Knowledge::new(&world, s));
    for k in 0..generic {
        // spread over goals × stealth: 12 combinations in turn
        let goal = Goal::ALL[k % 3];
        let stealth = Stealth::ALL[(k / 3) % 4];
        // ids count what was asked for: a discarded Hopper attempt keeps its id
        let id = (intrusions.len() + discarded.len()) as u32 + 1;
        match &know {
            Some(kn) => {
                let (lo, hi) = crate::intrusion::start_days(world.cal.days, opts.quiet_days);
                match crate::hopper::plan(&world, kn, id, goal, stealth, lo, hi) {
                    Ok(i) => intrusions.push(i),
                    Err(d) => discarded.push(d),
                }
            }
            None => {
                let mut kr = rng(opts.seed, Stream::Intrusion, id as u64, 1);
                intrusions.push(plan_generic(
                    &world,
                    &graph,
                    id,
                    goal,
                    stealth,
                    opts.quiet_days,
                    &mut kr,
                ));
            }
        }
    }
    let data = data_holdings(&world, opts, opts.scenario == Scenario::Ntt2019);
    Ok(Built { world, intrusions, discarded, data })
}

fn build_fleet(
    scale: f64,
    start: Date,
    days: u32,
    maintenance: u32,
    protect: &[&str],
    r: &mut Rng,
) -> Result<Fleet, SimError> {
    let sites = SITES
        .iter()
        .map(|s| {
            let tz = jiff::tz::TimeZone::get(s.tz)
                .map_err(|e| SimError::Options(format!("time zone {}: {e}", s.tz)))?;
            Ok(Site {
                name: s.name.into(),
                code: s.code.into(),
                country: s.country.into(),
                tz_name: s.tz.into(),
                tz,
                octet: s.octet,
                hq: s.hq,
            })
        })
        .collect::<Result<Vec<_>, SimError>>()?;
    let mut f = Fleet::new(sites);
    let day_date = |d: u32| start.checked_add(jiff::Span::new().days(d as i64)).unwrap_or(start);
    let maint_date = day_date(maintenance);
    for (si, spec) in SITES.iter().enumerate() {
        let mut counts: Vec<(Role, u32)> = COMMON.to_vec();
        for &(role, n) in spec.roles {
            match counts.iter_mut().find(|(r, _)| *r == role) {
                Some(c) => c.1 += n,
                None => counts.push((role, n)),
            }
        }
        counts.push((Role::Workstation, spec.workstations as u32));
        for (role, base) in counts {
            // scaled roles never drop below two (the case needs th-app-02) or their base
            let n = if scales(role) {
                ((base as f64 * scale).round() as u32).max(base.min(2))
            } else {
                base
            };
            for _ in 0..n {
                f.add(si, role, maint_date);
            }
        }
        if let Some(&w) = f.of_role(si, Role::Web).first() {
            f.expose(w);
        }
    }
    let servers: Vec<u32> = f.ids().filter(|&h| f.host(h).role.is_server()).collect();
    let ws: Vec<u32> = f.ids().filter(|&h| f.host(h).role == Role::Workstation).collect();
    let churnable = |f: &Fleet, h: u32| {
        let x = f.host(h);
        !protect.contains(&x.name.as_str())
            && matches!(x.role, Role::Database | Role::Application | Role::Ops | Role::Web)
            && !x.internet_facing
    };
    let mid_day = |r: &mut Rng| r.gen_range(days / 10..days - days / 10);
    // leavers and new hires (their workstations come and go with them)
    for &w in ws.choose_multiple(r, (ws.len() as f64 * 0.06).round() as usize) {
        f.hosts[w as usize].retired = Some(mid_day(r));
    }
    for _ in 0..((ws.len() as f64 * 0.08).round() as usize).max(1) {
        let site = r.gen_range(0..f.sites.len());
        let h = f.add(site, Role::Workstation, maint_date);
        f.hosts[h as usize].added = mid_day(r);
    }
    // servers retired, added, being decommissioned, and a few that missed patching
    let cands: Vec<u32> = servers.iter().copied().filter(|&h| churnable(&f, h)).collect();
    let n = |share: f64| ((servers.len() as f64 * share).round() as usize).max(1);
    let mut picked = cands.clone();
    picked.shuffle(r);
    let mut it = picked.into_iter();
    for h in it.by_ref().take(n(0.05)) {
        f.hosts[h as usize].retired = Some(mid_day(r));
    }
    for h in it.by_ref().take(n(0.03)) {
        f.hosts[h as usize].lifecycle = Lifecycle::Decommissioning;
    }
    for h in it.by_ref().take(n(0.06)) {
        f.hosts[h as usize].stale = true;
    }
    for _ in 0..n(0.06) {
        let site = r.gen_range(0..f.sites.len());
        let role = if r.gen_bool(0.5) { Role::Application } else { Role::Database };
        let h = f.add(site, role, maint_date);
        f.hosts[h as usize].added = mid_day(r);
    }
    // patch dates and lifecycle as the CMDB shows them at the end
    for h in f.ids().collect::<Vec<_>>() {
        let x = &mut f.hosts[h as usize];
        let added = day_date(x.added);
        x.last_patched = if x.stale {
            start.checked_sub(jiff::Span::new().days(r.gen_range(400..900))).unwrap_or(start)
        } else if x.role == Role::Workstation {
            let last = x
                .retired
                .map(|d| d.saturating_sub(5))
                .unwrap_or(days.saturating_sub(r.gen_range(1..35)));
            day_date(last.max(x.added))
        } else if x.retired.is_some_and(|d| d <= maintenance) {
            start.checked_sub(jiff::Span::new().days(r.gen_range(10..200))).unwrap_or(start)
        } else if x.added > maintenance {
            added
        } else {
            maint_date
        };
        if x.retired.is_some() {
            x.lifecycle = Lifecycle::Retired;
        }
        if x.role.is_server() && x.owner.is_empty() {
            x.owner = match x.role {
                Role::Database => "dba-team",
                Role::Application | Role::Web => "app-team",
                Role::Crm => "crm-team",
                Role::Mail | Role::File | Role::DomainController => "it-infra",
                _ => "it-ops",
            }
            .into();
        }
    }
    Ok(f)
}

/// The 2019–2020 case: internet → sg-ops-03 (decommissioning, unpatched since 2018) →
/// th-app-02 (September 2019, reused local admin `opsadmin`) → us-jump-01 (early December,
/// the backup service account found on the Thai server, PsExec-style) → jp-crm-01
/// (mid-December, a headquarters admin's `adm-` account harvested on the US jump host,
/// RDP); access kept until detection in May 2020.
fn ntt_intrusion(w: &World, r: &mut Rng) -> Intrusion {
    let f = &w.fleet;
    let host = |n: &str| f.by_name(n).expect("case hosts exist at every scale");
    let (sg, th, us, jp) =
        (host("sg-ops-03"), host("th-app-02"), host("us-jump-01"), host("jp-crm-01"));
    let opsadmin = *w.people.role_accounts.get(&Role::Ops).expect("opsadmin");
    let svc_backup = w.people.find("svc-backup", Some(&f.domain)).expect("svc-backup");
    // the stolen admin: a headquarters global admin (their work reaches the US jump host)
    let persons = &w.people.persons;
    let adm = persons
        .iter()
        .find(|p| p.duty == Duty::GlobalAdmin && p.left.is_none())
        .or_else(|| persons.iter().find(|p| p.duty != Duty::Staff))
        .and_then(|p| p.admin)
        .unwrap_or(w.people.root);
    let ips = [
        Ipv4Addr::new(198, 51, 100, 201),
        Ipv4Addr::new(198, 51, 100, 207),
        Ipv4Addr::new(198, 51, 100, 213),
    ];
    let at = |y: i16, m: i8, d: i8, h: f64| -> i64 {
        let day = days_from_civil(y as i32, m as u32, d as u32);
        day * DAY * US + (h * 3600.0 * US as f64) as i64
    };
    let detected = at(2020, 5, 11, 6.5);
    let contained = at(2020, 5, 13, 9.0);
    let mut logins: Vec<MaliciousLogin> = Vec::new();
    let push =
        |l: crate::login::Login, hop: u32, kind: HopKind, logins: &mut Vec<MaliciousLogin>| {
            logins.push(MaliciousLogin { login: l, hop, kind });
        };
    // entry: a short password-guessing run, then a success (2019-08-22)
    let mut t = at(2019, 8, 22, 13.0) + r.gen_range(0..3600) * US;
    for _ in 0..4 {
        let mut l = attack_login(w, r, t, Src::External(ips[0]), sg, opsadmin);
        l.method = Method::SshPassword;
        l.ok = false;
        l.duration = 0;
        push(l, 0, HopKind::Entry, &mut logins);
        t += r.gen_range(3..9) * US;
    }
    let mut l = attack_login(w, r, t, Src::External(ips[0]), sg, opsadmin);
    l.method = Method::SshPassword;
    push(l, 0, HopKind::Entry, &mut logins);
    // keeping the foothold: back in from the internet every 3–10 days
    let mut t2 = t;
    loop {
        t2 += r.gen_range(3 * 86_400..10 * 86_400) * US;
        if t2 >= detected {
            break;
        }
        let ip = *ips.choose(r).expect("ips");
        let mut l = attack_login(w, r, t2, Src::External(ip), sg, opsadmin);
        l.method = Method::SshPassword;
        push(l, 0, HopKind::Revisit, &mut logins);
    }
    // hop 1: Singapore → Thailand, September 2019, the same local admin password
    let t_th = at(2019, 9, 12, 2.0) + r.gen_range(0..7200) * US;
    let mut l = attack_login(w, r, t_th, Src::Host(sg), th, opsadmin);
    l.method = Method::SshPassword;
    push(l, 1, HopKind::Hop, &mut logins);
    let mut t3 = t_th;
    loop {
        t3 += r.gen_range(5 * 86_400..14 * 86_400) * US;
        if t3 >= detected {
            break;
        }
        let mut l = attack_login(w, r, t3, Src::Host(sg), th, opsadmin);
        l.method = Method::SshPassword;
        push(l, 1, HopKind::Revisit, &mut logins);
    }
    // hop 2: Thailand → United States, early December, svc-backup over SMB with a service install
    let t_us = at(2019, 12, 3, 15.0) + r.gen_range(0..7200) * US;
    let psexec = |r: &mut Rng, t: i64| {
        let mut l = attack_login(w, r, t, Src::Host(th), us, svc_backup);
        l.method = Method::NetworkNtlm;
        l.flags = flag::MALICIOUS | flag::SERVICE_INSTALL;
        l
    };
    let l = psexec(r, t_us);
    push(l, 2, HopKind::Hop, &mut logins);
    // hop 3: United States → Japan, mid-December, RDP with the harvested admin account
    let t_jp = at(2019, 12, 16, 16.0) + r.gen_range(0..7200) * US;
    let rdp = |r: &mut Rng, t: i64| {
        let mut l = attack_login(w, r, t, Src::Host(us), jp, adm);
        l.method = Method::Rdp;
        l.flags = flag::MALICIOUS | flag::EXPLICIT;
        // the intruder's session on the jump host is the backup account's
        l.subject = svc_backup;
        l
    };
    let l = rdp(r, t_jp);
    push(l, 3, HopKind::Hop, &mut logins);
    // keeping access to the Japanese server until detection: Thailand → US → Japan
    let mut t4 = t_jp;
    loop {
        t4 += r.gen_range(3 * 86_400..8 * 86_400) * US;
        if t4 + 3600 * US >= detected {
            break;
        }
        let l = psexec(r, t4);
        push(l, 2, HopKind::Revisit, &mut logins);
        let t5 = t4 + r.gen_range(60..900) * US;
        let l = rdp(r, t5);
        push(l, 3, HopKind::Revisit, &mut logins);
    }
    logins.sort_by_key(|m| (m.login.time, m.hop));
    Intrusion {
        id: 1,
        name: "ntt-2019".into(),
        goal: Goal::Targeted,
        stealth: Stealth::Agnostic,
        entry: sg,
        entry_from: Some(ips[0]),
        target: Some(jp),
        logins,
        detected: Some(detected),
        contained: Some(contained),
        start: None,
        story: "Internet → sg-ops-03 (decommissioning, unpatched since 2018-03) → th-app-02 (Sep 2019) → us-jump-01 (Dec 2019) → jp-crm-01 (mid-Dec 2019, 621 client organisations); detected May 2020".into(),
    }
}

/// Client data: the Japanese CRM server holds exactly 621 clients (7 restricted) in the
/// case; other data servers hold random subsets of the client pool.
fn data_holdings(w: &World, opts: &SimOptions, case: bool) -> Vec<Holding> {
    let mut r = rng(opts.seed, Stream::Clients, 0, 0);
    let pool = client_names(&mut r, ((700.0 * opts.scale.sqrt()) as usize).max(700));
    let mut rows = Vec::new();
    for h in w.fleet.ids() {
        let x = w.fleet.host(h);
        let n = match x.role {
            _ if case && x.name == "jp-crm-01" => {
                let mut v = holdings(&mut r, &x.name, &pool, 621 - RESTRICTED.len());
                for (name, class) in RESTRICTED {
                    v.push(Holding {
                        host: x.name.clone(),
                        client: (*name).into(),
                        data_class: (*class).into(),
                        records: r.gen_range(5..400),
                        restricted: true,
                    });
                }
                rows.extend(v);
                continue;
            }
            Role::Crm => r.gen_range(150..400),
            Role::Database => r.gen_range(20..120),
            Role::File | Role::Mail => r.gen_range(10..60),
            _ => continue,
        };
        rows.extend(holdings(&mut r, &x.name, &pool, n));
    }
    rows.sort();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_periods_give_each_intrusion_four_days_and_days_override_it() {
        assert_eq!(generic_days(1.0, 1), 45, "the demo size, by scale");
        assert_eq!(generic_days(4.0, 1), 90);
        assert_eq!(
            generic_days(1.0, 50),
            200,
            "50 intrusions: 0.7 a day, as in Hopper's evaluation"
        );
        assert_eq!(generic_days(0.01, 0), 14, "never under two weeks");
        let opts = |days| SimOptions {
            scenario: Scenario::Generic,
            intrusions: 50,
            days,
            ..SimOptions::default()
        };
        assert_eq!(build(&opts(None)).unwrap().world.cal.days, 200);
        assert_eq!(build(&opts(Some(45))).unwrap().world.cal.days, 45);
        assert!(matches!(build(&opts(Some(3))), Err(SimError::Options(_))));
    }
}
