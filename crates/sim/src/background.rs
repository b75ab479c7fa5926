//! Benign background logins: a day in the life of every person, job, rebooting server and
//! internet scanner. Each (actor, day) has its own random stream, so actors are generated
//! in parallel and the result does not depend on the thread count.
//!
//! What makes naive rules noisy (by design): users wander to servers they never used
//! (first-time edges every day), admins hop through jump hosts and switch to `root` or
//! `adm-` accounts there (credential switches), global admins at headquarters work on
//! servers in every country (cross-country hops), and a maintenance weekend touches every
//! server.

use std::net::Ipv4Addr;

use rand::seq::SliceRandom;
use rand::Rng as _;

use crate::fleet::{Os, Role};
use crate::login::{flag, Login, Method, Src};
use crate::people::{Duty, Schedule};
use crate::rhythm::{around, between, working_hours, SiteDay};
use crate::rng::{rng, Rng, Stream};
use crate::world::World;
use crate::worlds::{side_rng, Routines};

/// Something that logs in on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Person(u32),
    Job(u32),
    /// Service logons when a Windows server reboots (maintenance, monthly patching).
    Reboots(u32),
    /// Internet scanners brute-forcing an internet-facing Linux host.
    Scanners(u32),
    /// A world routine's actor: ([`routine`] kind, index).
    Routine(u8, u32),
}

/// Kinds of [`Actor::Routine`].
pub mod routine {
    /// A partner fetching files (index: partner).
    pub const PARTNER: u8 = 0;
    /// An admin's chains bastion → application → database (index: person).
    pub const CHAINS: u8 = 1;
    /// An admin on the maintenance weekend touching half the fleet (index: person).
    pub const MAINTENANCE: u8 = 2;
    /// A new hire using their new servers (index: hire).
    pub const HIRE: u8 = 3;
    /// Configuration management runs into every server.
    pub const ANSIBLE: u8 = 4;
    /// The vulnerability scanner's authenticated scans.
    pub const SCANNER: u8 = 5;
    /// A helpdesk person's tickets (index: helpdesk staff).
    pub const HELPDESK: u8 = 6;
    /// CI/CD deploys from the build agents.
    pub const CI: u8 = 7;
    /// The week's on-call admin answering night pages from home.
    pub const ON_CALL: u8 = 8;
}

/// Every actor of the world, in a fixed order.
pub fn actors(w: &World) -> Vec<Actor> {
    let mut a: Vec<Actor> = (0..w.people.persons.len() as u32).map(Actor::Person).collect();
    a.extend((0..w.people.jobs.len() as u32).map(Actor::Job));
    for h in w.fleet.ids() {
        let host = w.fleet.host(h);
        if host.os == Os::Windows && host.role.is_server() {
            a.push(Actor::Reboots(h));
        }
        if host.os == Os::Linux && host.internet_facing {
            a.push(Actor::Scanners(h));
        }
    }
    // the world's routines, after the baseline's actors (the baseline adds none)
    let rt = &w.routines;
    let admins = || {
        w.people
            .persons
            .iter()
            .enumerate()
            .filter(|(_, p)| p.duty != Duty::Staff)
            .map(|(i, _)| i as u32)
    };
    a.extend((0..rt.partners.len() as u32).map(|k| Actor::Routine(routine::PARTNER, k)));
    if rt.admin_chains.is_some() {
        a.extend(admins().map(|i| Actor::Routine(routine::CHAINS, i)));
    }
    if let Some(m) = &rt.maintenance {
        a.extend(admins().map(|i| Actor::Routine(routine::MAINTENANCE, i)));
        a.extend((0..m.hires.len() as u32).map(|k| Actor::Routine(routine::HIRE, k)));
    }
    if rt.config.is_some() {
        a.push(Actor::Routine(routine::ANSIBLE, 0));
        a.push(Actor::Routine(routine::SCANNER, 0));
    }
    if let Some(h) = &rt.helpdesk {
        a.extend((0..h.staff.len() as u32).map(|k| Actor::Routine(routine::HELPDESK, k)));
    }
    if rt.ci.is_some() {
        a.push(Actor::Routine(routine::CI, 0));
    }
    if rt.on_call.is_some() {
        a.push(Actor::Routine(routine::ON_CALL, 0));
    }
    a
}

fn actor_key(a: Actor) -> u64 {
    match a {
        Actor::Person(i) => i as u64,
        Actor::Job(i) => (1 << 32) | i as u64,
        Actor::Reboots(i) => (2 << 32) | i as u64,
        Actor::Scanners(i) => (3 << 32) | i as u64,
        Actor::Routine(k, i) => ((16 + k as u64) << 32) | i as u64,
    }
}

/// The logins of one actor on one simulation day (uids are assigned by the caller).
pub fn generate(w: &World, actor: Actor, day: u32, out: &mut Vec<Login>) {
    let mut r = rng(w.seed, Stream::Actor, actor_key(actor), day as u64);
    let mut g = Gen { w, r: &mut r, out, vdi: None, home: None };
    match actor {
        Actor::Person(i) => g.person(i as usize, day),
        Actor::Job(i) => g.job(i as usize, day),
        Actor::Reboots(h) => g.reboots(h, day),
        Actor::Scanners(h) => g.scanners(h, day),
        Actor::Routine(k, i) => g.routine(k, i, day),
    }
}

struct Gen<'a> {
    w: &'a World,
    r: &'a mut Rng,
    out: &'a mut Vec<Login>,
    /// VDI: logins from this workstation come from this pool address instead.
    vdi: Option<(u32, Ipv4Addr)>,
    /// Remote admins: today's sessions enter the jump host or bastion from this home address.
    home: Option<Ipv4Addr>,
}

fn port(r: &mut Rng) -> u16 {
    r.gen_range(32_768..61_000)
}

impl Gen<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        time: i64,
        src: Src,
        dst: u32,
        account: u32,
        method: Method,
        ok: bool,
        flags: u8,
        duration: u32,
    ) {
        let src_port = port(self.r);
        let src = match (src, self.vdi) {
            (Src::Host(h), Some((ws, ip))) if h == ws => Src::External(ip),
            _ => src,
        };
        self.out.push(Login {
            time,
            uid: 0,
            src,
            dst,
            account,
            subject: account,
            method,
            ok,
            flags,
            duration,
            src_port,
        });
    }

    fn active(&self, h: u32, day: u32) -> bool {
        self.w.fleet.host(h).active(day)
    }

    fn person(&mut self, i: usize, day: u32) {
        let w = self.w;
        let p = &w.people.persons[i];
        if !p.employed(day) || !self.active(p.workstation, day) {
            return;
        }
        let sd = w.cal.day(p.site as usize, day);
        let admin = p.duty != Duty::Staff;
        let maintenance = admin && (day == w.maintenance || day == w.maintenance + 1);
        let works = if sd.working { !self.r.gen_bool(0.04) } else { self.r.gen_bool(0.03) };
        self.enter_person(i, day);
        if let (true, true, Some(ra)) = (admin, works, &w.routines.remote_admins) {
            let mut side = side_rng(w.seed, 1, i as u64, day);
            if side.gen_bool(ra.home_share) {
                self.home = Some(Routines::home_addr(w.seed, i as u32, day, ra.renew_days));
            }
        }
        if works || maintenance {
            self.office_day(i, day, sd);
        }
        if admin && works {
            let n = self.r.gen_range(2..=6);
            for _ in 0..n {
                let t = sd.at(working_hours(self.r));
                if let Some(dst) = self.pick_admin_target(i, day) {
                    self.admin_session(i, dst, t);
                }
            }
        }
        if admin && works && self.r.gen_bool(0.5) {
            // helpdesk: remote assistance on a colleague's workstation (global admins anywhere)
            let ws: Vec<u32> = w
                .people
                .persons
                .iter()
                .filter(|q| {
                    q.employed(day)
                        && (p.duty == Duty::GlobalAdmin || q.site == p.site)
                        && q.workstation != p.workstation
                })
                .map(|q| q.workstation)
                .collect();
            if let Some(&target) = ws.choose(self.r) {
                if self.active(target, day) {
                    let t = sd.at(working_hours(self.r));
                    let adm = p.admin.unwrap_or(p.user);
                    let dur = self.r.gen_range(300..2400);
                    self.push(
                        t,
                        Src::Host(p.workstation),
                        target,
                        adm,
                        Method::Rdp,
                        true,
                        flag::EXPLICIT,
                        dur,
                    );
                    if let Some(l) = self.out.last_mut() {
                        l.subject = p.user;
                    }
                }
            }
        }
        if admin && self.r.gen_bool(0.03) {
            // on call: a night session from home through the VPN to the workstation
            let t = sd.at(between(self.r, 1.0, 4.5));
            if let Some(dst) = self.pick_admin_target(i, day) {
                self.admin_session(i, dst, t);
            }
        }
        if maintenance {
            self.maintenance(i, day, sd);
        }
    }

    /// Console logon, unlocks, file and mail shares; sometimes a share abroad or a server
    /// never used before.
    fn office_day(&mut self, i: usize, day: u32, sd: SiteDay) {
        let w = self.w;
        let p = &w.people.persons[i];
        let ws = p.workstation;
        let start = around(self.r, 8.75, 1.0);
        let end = (start + 3600.0 * 2.0).max(around(self.r, 18.0, 1.2));
        let t0 = sd.at(start);
        self.push(
            t0,
            Src::Local,
            ws,
            p.user,
            Method::Console,
            true,
            flag::TGT,
            (end - start) as u32,
        );
        for _ in 0..self.r.gen_range(0..=2) {
            let t = self.r.gen_range(start..end);
            let dur = self.r.gen_range(300..3600);
            self.push(sd.at(t), Src::Local, ws, p.user, Method::Unlock, true, 0, dur);
        }
        let site = p.site as usize;
        let files: Vec<u32> =
            w.file[site].iter().copied().filter(|&f| self.active(f, day)).collect();
        if let Some(&f) = files.choose(self.r) {
            for _ in 0..self.r.gen_range(1..=2) {
                let t = self.r.gen_range(start..end);
                let dur = self.r.gen_range(60..1800);
                self.push(
                    sd.at(t),
                    Src::Host(ws),
                    f,
                    p.user,
                    Method::NetworkKerberos,
                    true,
                    0,
                    dur,
                );
            }
        }
        if let Some(m) = w.mail.filter(|&m| self.active(m, day)) {
            let t = self.r.gen_range(start..(start + 1800.0));
            let dur = self.r.gen_range(600..20_000);
            self.push(sd.at(t), Src::Host(ws), m, p.user, Method::NetworkKerberos, true, 0, dur);
        }
        if self.r.gen_bool(0.04) {
            // a share at another site: benign cross-country access
            let other = self.r.gen_range(0..w.fleet.sites.len());
            if let Some(&f) = w.file[other].choose(self.r) {
                if self.active(f, day) {
                    let t = sd.at(self.r.gen_range(start..end));
                    let dur = self.r.gen_range(60..900);
                    self.push(t, Src::Host(ws), f, p.user, Method::NetworkKerberos, true, 0, dur);
                }
            }
        }
        if self.r.gen_bool(0.08) {
            // wandering: a Windows server this person may never have used
            let n = w.fleet.hosts.len() as u32;
            for _ in 0..4 {
                let h = self.r.gen_range(0..n);
                let host = w.fleet.host(h);
                if host.os == Os::Windows
                    && host.role.is_server()
                    && host.role != Role::DomainController
                    && self.active(h, day)
                {
                    let t = sd.at(self.r.gen_range(start..end));
                    let ok = self.r.gen_bool(0.9);
                    let dur = self.r.gen_range(30..600);
                    self.push(t, Src::Host(ws), h, p.user, Method::NetworkKerberos, ok, 0, dur);
                    break;
                }
            }
        }
    }

    fn pick_admin_target(&mut self, i: usize, day: u32) -> Option<u32> {
        let w = self.w;
        let p = &w.people.persons[i];
        let active: Vec<u32> = p.scope.iter().copied().filter(|&h| self.active(h, day)).collect();
        if active.is_empty() {
            return None;
        }
        // servers added in the last two weeks get attention: first-time edges
        let fresh: Vec<u32> = active
            .iter()
            .copied()
            .filter(|&h| {
                let a = w.fleet.host(h).added;
                a > 0 && day >= a && day < a + 14
            })
            .collect();
        if !fresh.is_empty() && self.r.gen_bool(0.3) {
            return fresh.choose(self.r).copied();
        }
        if p.duty == Duty::GlobalAdmin && self.r.gen_bool(0.5) {
            let home: Vec<u32> =
                active.iter().copied().filter(|&h| w.fleet.host(h).site == p.site).collect();
            if let Some(&h) = home.choose(self.r) {
                return Some(h);
            }
        }
        active.choose(self.r).copied()
    }

    /// One administration session: mostly through the site's jump host (Windows) or
    /// bastion (Linux), sometimes direct.
    fn admin_session(&mut self, i: usize, dst: u32, t: i64) {
        let w = self.w;
        let p = &w.people.persons[i];
        let (ws, user) = (p.workstation, p.user);
        let adm = p.admin.unwrap_or(user);
        let host = w.fleet.host(dst);
        let site = host.site as usize;
        let day = ((t / 1_000_000).div_euclid(86_400) - w.first_day())
            .clamp(0, w.cal.days as i64 - 1) as u32;
        let gap = |r: &mut Rng| r.gen_range(5_000_000..120_000_000i64);
        let dur = |r: &mut Rng| r.gen_range(60..2400u32);
        if host.os == Os::Linux {
            let home = self.home.is_some();
            let via = w.bastion[site]
                .filter(|&b| b != dst && self.active(b, day) && (self.r.gen_bool(0.8) || home));
            let account = if self.r.gen_bool(0.3) {
                *w.people.role_accounts.get(&host.role).unwrap_or(&w.people.root)
            } else {
                user
            };
            let method =
                if self.r.gen_bool(0.9) { Method::SshPublickey } else { Method::SshPassword };
            match via {
                Some(b) => {
                    let d = dur(self.r) + 600;
                    let from = self.home.map(Src::External).unwrap_or(Src::Host(ws));
                    self.push(t, from, b, user, Method::SshPublickey, true, 0, d);
                    let t2 = t + gap(self.r);
                    let d2 = dur(self.r);
                    self.push(t2, Src::Host(b), dst, account, method, true, 0, d2);
                }
                None => {
                    let d = dur(self.r);
                    self.push(t, Src::Host(ws), dst, account, method, true, 0, d);
                }
            }
        } else {
            let home = self.home.is_some();
            let via = w.jump[site]
                .filter(|&j| j != dst && self.active(j, day) && (self.r.gen_bool(0.8) || home));
            match via {
                Some(j) => {
                    let d = dur(self.r) + 900;
                    let from = self.home.map(Src::External).unwrap_or(Src::Host(ws));
                    self.push(t, from, j, adm, Method::Rdp, true, flag::EXPLICIT | flag::TGT, d);
                    // the admin is logged on at the workstation as themselves
                    if let Some(l) = self.out.last_mut() {
                        l.subject = user;
                    }
                    let t2 = t + gap(self.r);
                    let (m, f) = if self.r.gen_bool(0.5) {
                        (Method::Rdp, flag::EXPLICIT)
                    } else {
                        (Method::NetworkKerberos, 0)
                    };
                    let d2 = dur(self.r);
                    self.push(t2, Src::Host(j), dst, adm, m, true, f, d2);
                }
                None => {
                    let d = dur(self.r);
                    self.push(
                        t,
                        Src::Host(ws),
                        dst,
                        adm,
                        Method::NetworkKerberos,
                        true,
                        flag::EXPLICIT,
                        d,
                    );
                    if let Some(l) = self.out.last_mut() {
                        l.subject = user;
                    }
                }
            }
        }
    }

    /// The maintenance weekend: site admins patch every server of their site, global
    /// admins those of headquarters; half on Saturday, half on Sunday.
    fn maintenance(&mut self, i: usize, day: u32, sd: SiteDay) {
        let w = self.w;
        let p = &w.people.persons[i];
        let sunday = (day == w.maintenance + 1) as usize;
        let mine: Vec<u32> = p
            .scope
            .iter()
            .copied()
            .filter(|&h| {
                w.fleet.host(h).site == p.site && self.active(h, day) && (h as usize) % 2 == sunday
            })
            .collect();
        for h in mine {
            let t = sd.at(between(self.r, 9.0, 17.0));
            self.admin_session(i, h, t);
        }
    }

    fn job(&mut self, j: usize, day: u32) {
        let w = self.w;
        let job = &w.people.jobs[j];
        if !self.active(job.src, day) {
            return;
        }
        let sd = w.cal.day(w.fleet.host(job.src).site as usize, day);
        let times: Vec<f64> = match job.schedule {
            Schedule::Daily(h) => vec![h * 3600.0],
            Schedule::Weekly(h) => {
                if sd.weekday == 6 {
                    vec![h * 3600.0]
                } else {
                    vec![]
                }
            }
            Schedule::Weekdays(h) => {
                if sd.working {
                    vec![h * 3600.0]
                } else {
                    vec![]
                }
            }
            Schedule::EveryHours(n) => {
                (0..24 / n.max(1)).map(|k| (k * n) as f64 * 3600.0 + 420.0).collect()
            }
        };
        for base in times {
            for (k, &dst) in job.dsts.iter().enumerate() {
                if !self.active(dst, day) {
                    continue;
                }
                // rigid: the same minute every run, a few seconds of jitter
                let t = sd.at(base + k as f64 * 17.0 + self.r.gen_range(0.0..4.0));
                let (src, method) = if dst == job.src {
                    (Src::Local, Method::Batch)
                } else if w.is_windows(dst) {
                    let m = if w.is_windows(job.src) {
                        Method::NetworkKerberos
                    } else {
                        Method::NetworkNtlm
                    };
                    (Src::Host(job.src), m)
                } else {
                    (Src::Host(job.src), Method::SshPublickey)
                };
                let dur = self.r.gen_range(5..1800);
                self.push(t, src, dst, job.account, method, true, 0, dur);
            }
        }
    }

    fn reboots(&mut self, h: u32, day: u32) {
        let w = self.w;
        if !self.active(h, day) {
            return;
        }
        let sd = w.cal.day(w.fleet.host(h).site as usize, day);
        // maintenance Saturday, and the monthly patch night (the 2nd Sunday-ish: day 8–14, Sunday)
        let (_, _, dom) = crate::timefmt::civil_from_days(w.first_day() + day as i64);
        let patch_night = sd.weekday == 6 && (8..=14).contains(&dom);
        if day != w.maintenance && !patch_night {
            return;
        }
        let svc = w.people.find("svc-app", Some(&w.fleet.domain));
        let Some(svc) = svc else { return };
        let t = sd.at(between(self.r, 3.0, 5.0));
        self.push(t, Src::Local, h, svc, Method::Service, true, 0, 0);
    }

    /// Bursts of password guessing from internet addresses (RFC 5737 192.0.2.0/24 and
    /// 198.51.100.0/24, below .200).
    fn scanners(&mut self, h: u32, day: u32) {
        let w = self.w;
        if !self.active(h, day) {
            return;
        }
        let sd = w.cal.day(w.fleet.host(h).site as usize, day);
        let bursts = [0, 0, 1, 1, 1, 2][self.r.gen_range(0..6)];
        for _ in 0..bursts {
            let ip = if self.r.gen_bool(0.5) {
                Ipv4Addr::new(192, 0, 2, self.r.gen_range(1..255))
            } else {
                Ipv4Addr::new(198, 51, 100, self.r.gen_range(1..200))
            };
            let mut t = sd.at(between(self.r, 0.0, 23.5));
            for _ in 0..self.r.gen_range(3..16) {
                let acct = *w.guesses.choose(self.r).expect("guesses");
                let invalid = acct != w.people.root;
                let f = if invalid { flag::INVALID_USER } else { 0 };
                self.push(t, Src::External(ip), h, acct, Method::SshPassword, false, f, 0);
                t += self.r.gen_range(1_500_000..9_000_000);
            }
        }
    }

    /// VDI: a person on VDI logs in from today's pool address instead of the workstation.
    fn enter_person(&mut self, i: usize, day: u32) {
        let w = self.w;
        if w.routines.vdi.is_some() && w.routines.on_vdi(w.seed, i as u32) {
            let p = &w.people.persons[i];
            let octet = w.fleet.sites[p.site as usize].octet;
            self.vdi =
                w.routines.vdi_addr(w.seed, i as u32, day, octet).map(|ip| (p.workstation, ip));
        }
    }

    /// A world routine's logins for one day.
    fn routine(&mut self, kind: u8, i: u32, day: u32) {
        match kind {
            routine::PARTNER => self.partner(i as usize, day),
            routine::CHAINS => self.chains(i as usize, day),
            routine::MAINTENANCE => self.half_fleet(i as usize, day),
            routine::HIRE => self.hire(i as usize, day),
            routine::ANSIBLE => self.ansible(day),
            routine::SCANNER => self.vuln_scan(day),
            routine::HELPDESK => self.helpdesk(i as usize, day),
            routine::CI => self.deploys(day),
            routine::ON_CALL => self.on_call(day),
            _ => {}
        }
    }

    /// The person's working day at their site, if they work today (4 % of working days
    /// off, as everywhere).
    fn works(&mut self, i: usize, day: u32) -> Option<SiteDay> {
        let w = self.w;
        let p = &w.people.persons[i];
        if !p.employed(day) || !self.active(p.workstation, day) {
            return None;
        }
        let sd = w.cal.day(p.site as usize, day);
        (sd.working && !self.r.gen_bool(0.04)).then_some(sd)
    }

    fn partner(&mut self, k: usize, day: u32) {
        let w = self.w;
        let p = &w.routines.partners[k];
        if !self.active(p.server, day) {
            return;
        }
        let sd = w.cal.day(w.fleet.host(p.server).site as usize, day);
        if p.weekdays_only && sd.weekday >= 5 {
            return;
        }
        for run in 0..p.runs {
            let h = (p.hour + run as f64 * 24.0 / p.runs as f64) % 24.0;
            let t = sd.at(h * 3600.0 + self.r.gen_range(0.0..600.0));
            let ip = *p.addrs.choose(self.r).expect("addresses");
            let dur = self.r.gen_range(5..300);
            self.push(
                t,
                Src::External(ip),
                p.server,
                p.account,
                Method::SshPublickey,
                true,
                0,
                dur,
            );
        }
    }

    fn chains(&mut self, i: usize, day: u32) {
        let w = self.w;
        let Some(c) = &w.routines.admin_chains else { return };
        let Some(sd) = self.works(i, day) else { return };
        let p = &w.people.persons[i];
        self.enter_person(i, day);
        let mine: Vec<(u32, u32)> = c
            .backend
            .iter()
            .copied()
            .filter(|&(a, d)| p.scope.contains(&a) && self.active(a, day) && self.active(d, day))
            .collect();
        for _ in 0..self.r.gen_range(0..=c.max_per_day) {
            let Some(&(app, db)) = mine.choose(self.r) else { return };
            let mut t = sd.at(working_hours(self.r));
            let site = w.fleet.host(app).site as usize;
            let mut from = Src::Host(p.workstation);
            let hops = match w.bastion[site].filter(|&b| self.active(b, day)) {
                Some(b) => vec![b, app, db],
                None => vec![app, db],
            };
            let n = hops.len() as u32;
            for (k, h) in hops.into_iter().enumerate() {
                let dur = 60 * (n - k as u32) + self.r.gen_range(60..900);
                self.push(t, from, h, p.user, Method::SshPublickey, true, 0, dur);
                from = Src::Host(h);
                t += self.r.gen_range(20..=c.max_gap_s.max(21)) as i64 * 1_000_000;
            }
        }
    }

    fn half_fleet(&mut self, i: usize, day: u32) {
        let w = self.w;
        let Some(m) = &w.routines.maintenance else { return };
        if day != w.maintenance && day != w.maintenance + 1 {
            return;
        }
        let p = &w.people.persons[i];
        if !p.employed(day) {
            return;
        }
        self.enter_person(i, day);
        let sd = w.cal.day(p.site as usize, day);
        let servers: Vec<u32> = w
            .fleet
            .ids()
            .filter(|&h| w.fleet.host(h).role.is_server() && self.active(h, day))
            .collect();
        for h in servers {
            if self.r.gen_bool(m.touch_share / 2.0) {
                let t = sd.at(between(self.r, 8.0, 20.0));
                self.admin_session(i, h, t);
            }
        }
    }

    fn hire(&mut self, k: usize, day: u32) {
        let w = self.w;
        let Some(m) = &w.routines.maintenance else { return };
        let hire = &m.hires[k];
        let Some(i) = hire.person else { return };
        let Some(sd) = self.works(i as usize, day) else { return };
        self.enter_person(i as usize, day);
        let p = &w.people.persons[i as usize];
        for &h in &hire.servers {
            if !self.active(h, day) {
                continue;
            }
            for _ in 0..self.r.gen_range(1..=3) {
                let t = sd.at(working_hours(self.r));
                let dur = self.r.gen_range(120..3600);
                self.push(
                    t,
                    Src::Host(p.workstation),
                    h,
                    p.user,
                    Method::SshPublickey,
                    true,
                    0,
                    dur,
                );
            }
        }
    }

    /// A service login from a Linux host: ssh to Linux, NTLM network logon to Windows.
    fn service_login(&mut self, t: i64, src: u32, dst: u32, account: u32, dur: u32) {
        let m = if self.w.is_windows(dst) { Method::NetworkNtlm } else { Method::SshPublickey };
        self.push(t, Src::Host(src), dst, account, m, true, 0, dur);
    }

    fn ansible(&mut self, day: u32) {
        let w = self.w;
        let Some(c) = &w.routines.config else { return };
        if !self.active(c.control, day) {
            return;
        }
        let sd = w.cal.day(w.fleet.host(c.control).site as usize, day);
        let every = c.every_hours.max(1);
        for run in 0..24 / every {
            let base = (run * every) as f64 * 3600.0 + 900.0;
            for (k, h) in w.fleet.ids().enumerate() {
                let x = w.fleet.host(h);
                if !x.role.is_server() || h == c.control || !self.active(h, day) {
                    continue;
                }
                let t = sd.at(base + (k % 64) as f64 * 3.0 + self.r.gen_range(0.0..2.0));
                let dur = self.r.gen_range(5..120);
                self.service_login(t, c.control, h, c.account, dur);
            }
        }
    }

    fn vuln_scan(&mut self, day: u32) {
        let w = self.w;
        let Some(c) = &w.routines.config else { return };
        if !self.active(c.scanner, day) {
            return;
        }
        let sd = w.cal.day(w.fleet.host(c.scanner).site as usize, day);
        let period = (1.0 / c.scan_share).ceil().max(1.0) as u32;
        for h in w.fleet.ids() {
            if h == c.scanner || !self.active(h, day) || !(h + day).is_multiple_of(period) {
                continue;
            }
            let t = sd.at(between(self.r, 1.0, 5.0));
            let dur = self.r.gen_range(20..400);
            self.service_login(t, c.scanner, h, c.scan_account, dur);
        }
    }

    fn helpdesk(&mut self, k: usize, day: u32) {
        let w = self.w;
        let Some(hd) = &w.routines.helpdesk else { return };
        let (i, acct) = hd.staff[k];
        let Some(sd) = self.works(i as usize, day) else { return };
        self.enter_person(i as usize, day);
        let p = &w.people.persons[i as usize];
        let ws: Vec<u32> = w
            .people
            .persons
            .iter()
            .filter(|q| q.employed(day) && q.workstation != p.workstation)
            .map(|q| q.workstation)
            .filter(|&h| self.active(h, day))
            .collect();
        for _ in 0..self.r.gen_range(5..=hd.max_tickets.max(5)) {
            let Some(&target) = ws.choose(self.r) else { return };
            let t = sd.at(working_hours(self.r));
            let (m, f) = if self.r.gen_bool(0.6) {
                (Method::Rdp, flag::EXPLICIT)
            } else {
                (Method::NetworkKerberos, flag::EXPLICIT)
            };
            let dur = self.r.gen_range(120..2400);
            self.push(t, Src::Host(p.workstation), target, acct, m, true, f, dur);
            if let Some(l) = self.out.last_mut() {
                l.subject = p.user;
            }
        }
    }

    fn deploys(&mut self, day: u32) {
        let w = self.w;
        let Some(c) = &w.routines.ci else { return };
        let Some(&first) = c.agents.first() else { return };
        let sd = w.cal.day(w.fleet.host(first).site as usize, day);
        if !sd.working {
            return;
        }
        let targets: Vec<u32> = w
            .fleet
            .ids()
            .filter(|&h| {
                matches!(w.fleet.host(h).role, Role::Application | Role::Web) && self.active(h, day)
            })
            .collect();
        let octet = w.fleet.site_of(first).octet;
        for k in 0..self.r.gen_range(4..=c.max_deploys.max(4)) {
            let agent = *c.agents.choose(self.r).expect("agents");
            // autoscaled runners: a VM of the day with an address no inventory row names
            let ephemeral = self
                .r
                .gen_bool(c.ephemeral_share)
                .then(|| Ipv4Addr::new(10, octet, 210, 10 + ((day * 37 + k) % 240) as u8));
            let mut t = sd.at(between(self.r, 8.0, 20.0));
            let n = self.r.gen_range(1..=4);
            for &h in targets.choose_multiple(self.r, n) {
                let dur = self.r.gen_range(10..400);
                match ephemeral {
                    Some(ip) => self.push(
                        t,
                        Src::External(ip),
                        h,
                        c.account,
                        Method::SshPublickey,
                        true,
                        0,
                        dur,
                    ),
                    None => self.service_login(t, agent, h, c.account, dur),
                }
                t += self.r.gen_range(2_000_000..60_000_000);
            }
        }
    }

    fn on_call(&mut self, day: u32) {
        let w = self.w;
        let Some(oc) = &w.routines.on_call else { return };
        let admins: Vec<usize> = (0..w.people.persons.len())
            .filter(|&i| {
                w.people.persons[i].duty != Duty::Staff && w.people.persons[i].employed(day)
            })
            .collect();
        if admins.is_empty() {
            return;
        }
        let i = admins[(day / 7) as usize % admins.len()];
        let p = &w.people.persons[i];
        let sd = w.cal.day(p.site as usize, day);
        let servers: Vec<u32> = w
            .fleet
            .ids()
            .filter(|&h| w.fleet.host(h).role.is_server() && self.active(h, day))
            .collect();
        for _ in 0..self.r.gen_range(0..=oc.max_pages) {
            let Some(&dst) = servers.choose(self.r) else { return };
            let renew = w.routines.remote_admins.as_ref().map(|r| r.renew_days).unwrap_or(14);
            self.home = Some(Routines::home_addr(w.seed, i as u32, day, renew));
            let t = sd.at(between(self.r, 0.5, 6.0));
            self.admin_session(i, dst, t);
        }
    }
}
