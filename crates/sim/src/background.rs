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

/// Something that logs in on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Person(u32),
    Job(u32),
    /// Service logons when a Windows server reboots (maintenance, monthly patching).
    Reboots(u32),
    /// Internet scanners brute-forcing an internet-facing Linux host.
    Scanners(u32),
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
    a
}

fn actor_key(a: Actor) -> u64 {
    match a {
        Actor::Person(i) => i as u64,
        Actor::Job(i) => (1 << 32) | i as u64,
        Actor::Reboots(i) => (2 << 32) | i as u64,
        Actor::Scanners(i) => (3 << 32) | i as u64,
    }
}

/// The logins of one actor on one simulation day (uids are assigned by the caller).
pub fn generate(w: &World, actor: Actor, day: u32, out: &mut Vec<Login>) {
    let mut r = rng(w.seed, Stream::Actor, actor_key(actor), day as u64);
    let mut g = Gen { w, r: &mut r, out };
    match actor {
        Actor::Person(i) => g.person(i as usize, day),
        Actor::Job(i) => g.job(i as usize, day),
        Actor::Reboots(h) => g.reboots(h, day),
        Actor::Scanners(h) => g.scanners(h, day),
    }
}

struct Gen<'a> {
    w: &'a World,
    r: &'a mut Rng,
    out: &'a mut Vec<Login>,
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
            let via = w.bastion[site]
                .filter(|&b| b != dst && self.active(b, day) && self.r.gen_bool(0.8));
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
                    self.push(t, Src::Host(ws), b, user, Method::SshPublickey, true, 0, d);
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
            let via =
                w.jump[site].filter(|&j| j != dst && self.active(j, day) && self.r.gen_bool(0.8));
            match via {
                Some(j) => {
                    let d = dur(self.r) + 900;
                    self.push(
                        t,
                        Src::Host(ws),
                        j,
                        adm,
                        Method::Rdp,
                        true,
                        flag::EXPLICIT | flag::TGT,
                        d,
                    );
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
}
