//! People and accounts: staff with their workstations, administrators with their `adm-`
//! accounts and the servers they look after, local Linux accounts, and service accounts
//! that run on rigid schedules.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::Rng as _;

use crate::fleet::{Fleet, Os, Role};
use crate::rng::Rng;

/// What an account is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccountKind {
    /// A person's everyday domain account.
    User,
    /// A person's privileged domain account (`adm-<user>`).
    Admin,
    /// A domain service account (`svc-backup`).
    Service,
    /// A local Linux account (`root`, `oracle`, `opsadmin`).
    Local,
    /// A name guessed by an internet scanner; exists nowhere.
    Guess,
}

/// One account.
#[derive(Clone, Debug)]
pub struct Account {
    pub name: String,
    /// `Some("CORP")` for domain accounts; `None` for local ones.
    pub domain: Option<String>,
    pub kind: AccountKind,
    /// Logons get special privileges (Windows 4672).
    pub privileged: bool,
}

/// What a person does all day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duty {
    Staff,
    /// Administers the servers of their own site.
    SiteAdmin,
    /// Administers servers in every country (headquarters).
    GlobalAdmin,
}

/// A member of staff.
#[derive(Clone, Debug)]
pub struct Person {
    pub display: String,
    pub user: u32,
    pub admin: Option<u32>,
    pub workstation: u32,
    pub site: u16,
    pub duty: Duty,
    /// First working day (0: employed before the simulation).
    pub hired: u32,
    /// Last day employed, if they leave during the simulation.
    pub left: Option<u32>,
    /// Servers they administer (admins only).
    pub scope: Vec<u32>,
}

impl Person {
    pub fn employed(&self, day: u32) -> bool {
        day >= self.hired && self.left.is_none_or(|l| day <= l)
    }
}

/// When a job runs.
#[derive(Clone, Copy, Debug)]
pub enum Schedule {
    /// Every day at a local hour of the source site.
    Daily(f64),
    /// Sundays only, at a local hour.
    Weekly(f64),
    /// Every `n` hours from midnight.
    EveryHours(u32),
    /// Monday–Friday at a local hour.
    Weekdays(f64),
}

/// A scheduled job logging in from one host to others with a service account.
#[derive(Clone, Debug)]
pub struct Job {
    pub name: String,
    pub account: u32,
    pub src: u32,
    pub dsts: Vec<u32>,
    pub schedule: Schedule,
}

/// Everyone and every account.
#[derive(Clone, Debug, Default)]
pub struct People {
    pub accounts: Vec<Account>,
    pub persons: Vec<Person>,
    pub jobs: Vec<Job>,
    /// Local Linux account each server role is administered through.
    pub role_accounts: BTreeMap<Role, u32>,
    pub root: u32,
    by_key: BTreeMap<(String, Option<String>), u32>,
}

const GIVEN: &[(&str, &[&str])] = &[
    (
        "Japan",
        &[
            "Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Kaito", "Mio", "Yuto", "Sakura",
            "Daiki", "Emi",
        ],
    ),
    (
        "United States",
        &[
            "James", "Mary", "Robert", "Linda", "Michael", "Emily", "David", "Sarah", "Carlos",
            "Aisha",
        ],
    ),
    ("Singapore", &["Wei", "Mei", "Jun", "Hui", "Arjun", "Siti", "Kai", "Ling", "Ravi", "Nur"]),
    (
        "Thailand",
        &["Somchai", "Malee", "Anan", "Kanya", "Niran", "Ploy", "Chai", "Suda", "Krit", "Dao"],
    ),
    (
        "Germany",
        &["Lukas", "Anna", "Felix", "Lea", "Jonas", "Marie", "Paul", "Sophie", "Finn", "Lena"],
    ),
    (
        "Australia",
        &["Jack", "Olivia", "Liam", "Chloe", "Noah", "Isla", "Oscar", "Ruby", "Henry", "Zoe"],
    ),
];
const FAMILY: &[(&str, &[&str])] = &[
    (
        "Japan",
        &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
            "Kato",
            "Yoshida",
            "Yamada",
        ],
    ),
    (
        "United States",
        &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Lopez",
            "Wilson",
        ],
    ),
    ("Singapore", &["Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Koh", "Teo"]),
    (
        "Thailand",
        &[
            "Saetang",
            "Srisuk",
            "Chaiyaporn",
            "Wongsa",
            "Boonmee",
            "Kaewkla",
            "Rattana",
            "Somboon",
            "Thongdee",
            "Phrom",
        ],
    ),
    (
        "Germany",
        &[
            "Mueller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
        ],
    ),
    (
        "Australia",
        &[
            "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson",
            "Martin", "White",
        ],
    ),
];

fn names_for(
    list: &'static [(&'static str, &'static [&'static str])],
    country: &str,
) -> &'static [&'static str] {
    list.iter().find(|(c, _)| *c == country).map(|(_, n)| *n).unwrap_or(list[1].1)
}

impl People {
    /// The account `name` in `domain`, created on first use.
    pub fn account(
        &mut self,
        name: &str,
        domain: Option<&str>,
        kind: AccountKind,
        privileged: bool,
    ) -> u32 {
        let key = (name.to_string(), domain.map(str::to_string));
        if let Some(&id) = self.by_key.get(&key) {
            return id;
        }
        let id = self.accounts.len() as u32;
        self.accounts.push(Account {
            name: name.into(),
            domain: domain.map(str::to_string),
            kind,
            privileged,
        });
        self.by_key.insert(key, id);
        id
    }

    pub fn find(&self, name: &str, domain: Option<&str>) -> Option<u32> {
        self.by_key.get(&(name.to_string(), domain.map(str::to_string))).copied()
    }

    pub fn get(&self, id: u32) -> &Account {
        &self.accounts[id as usize]
    }

    /// Staff for every workstation, admins per site and at headquarters, local and service
    /// accounts, and the scheduled jobs. Workstations get their owners.
    pub fn build(fleet: &mut Fleet, rng: &mut Rng, days: u32, scale: f64) -> People {
        let mut p = People::default();
        let domain = fleet.domain.clone();
        p.root = p.account("root", None, AccountKind::Local, true);
        for (role, name) in [
            (Role::Database, "oracle"),
            (Role::Application, "appadm"),
            (Role::Ops, "opsadmin"),
            (Role::Web, "www-admin"),
        ] {
            let id = p.account(name, None, AccountKind::Local, true);
            p.role_accounts.insert(role, id);
        }
        let mut used = BTreeMap::<String, u32>::new();
        let ws: Vec<u32> =
            fleet.ids().filter(|&h| fleet.host(h).role == Role::Workstation).collect();
        for &w in &ws {
            let site = fleet.host(w).site;
            let country = fleet.sites[site as usize].country.clone();
            let given = *names_for(GIVEN, &country).choose(rng).expect("names");
            let family = *names_for(FAMILY, &country).choose(rng).expect("names");
            let base = format!("{}{}", &given[..1], family).to_ascii_lowercase();
            let n = used.entry(base.clone()).or_insert(0);
            *n += 1;
            let user_name = if *n == 1 { base } else { format!("{base}{n}") };
            let user = p.account(&user_name, Some(&domain), AccountKind::User, false);
            let host = fleet.host(w);
            let (hired, left) = (host.added, host.retired.map(|r| r.saturating_sub(1)));
            fleet.hosts[w as usize].owner = user_name.clone();
            p.persons.push(Person {
                display: format!("{given} {family}"),
                user,
                admin: None,
                workstation: w,
                site,
                duty: Duty::Staff,
                hired,
                left,
                scope: Vec::new(),
            });
        }
        // Admins: about one in eight at each site (at least one), and global admins at HQ.
        let nsites = fleet.sites.len();
        for s in 0..nsites {
            let mut staff: Vec<usize> = (0..p.persons.len())
                .filter(|&i| p.persons[i].site as usize == s && p.persons[i].hired == 0)
                .collect();
            staff.shuffle(rng);
            let hq = fleet.sites[s].hq;
            let n_admin = ((staff.len() as f64 / 8.0).ceil() as usize).max(1).min(staff.len());
            let n_global = if hq {
                ((2.0 * scale.sqrt()).round() as usize)
                    .max(2)
                    .min(staff.len().saturating_sub(n_admin))
            } else {
                0
            };
            for (k, &i) in staff.iter().take(n_admin + n_global).enumerate() {
                let duty = if k < n_global { Duty::GlobalAdmin } else { Duty::SiteAdmin };
                let name = format!("adm-{}", p.accounts[p.persons[i].user as usize].name);
                let adm = p.account(&name, Some(&domain), AccountKind::Admin, true);
                p.persons[i].admin = Some(adm);
                p.persons[i].duty = duty;
            }
        }
        // Scopes: site admins their site's servers, global admins all servers.
        for i in 0..p.persons.len() {
            let scope: Vec<u32> = match p.persons[i].duty {
                Duty::Staff => continue,
                Duty::SiteAdmin => fleet
                    .ids()
                    .filter(|&h| {
                        fleet.host(h).role.is_server() && fleet.host(h).site == p.persons[i].site
                    })
                    .collect(),
                Duty::GlobalAdmin => {
                    fleet.ids().filter(|&h| fleet.host(h).role.is_server()).collect()
                }
            };
            p.persons[i].scope = scope;
        }
        p.build_jobs(fleet, rng, days);
        p
    }

    fn build_jobs(&mut self, fleet: &Fleet, rng: &mut Rng, _days: u32) {
        let domain = fleet.domain.clone();
        let backup = self.account("svc-backup", Some(&domain), AccountKind::Service, true);
        let monitor = self.account("svc-monitor", Some(&domain), AccountKind::Service, false);
        let deploy = self.account("svc-deploy", Some(&domain), AccountKind::Service, false);
        let hq = fleet.sites.iter().position(|s| s.hq).unwrap_or(0);
        let servers = |f: &dyn Fn(Role) -> bool| -> Vec<u32> {
            fleet
                .ids()
                .filter(|&h| fleet.host(h).role.is_server() && f(fleet.host(h).role))
                .collect()
        };
        if let Some(&bak) = fleet.of_role(hq, Role::Backup).first() {
            let data_roles =
                |r: Role| matches!(r, Role::Database | Role::File | Role::Crm | Role::Mail);
            self.jobs.push(Job {
                name: "nightly backup of data servers".into(),
                account: backup,
                src: bak,
                dsts: servers(&data_roles),
                schedule: Schedule::Daily(1.5),
            });
            self.jobs.push(Job {
                name: "weekly backup of other servers".into(),
                account: backup,
                src: bak,
                dsts: servers(&|r| !data_roles(r) && r != Role::Backup),
                schedule: Schedule::Weekly(3.0),
            });
        }
        for s in 0..fleet.sites.len() {
            if let Some(&ops) = fleet.of_role(s, Role::Ops).first() {
                let dsts: Vec<u32> = fleet
                    .ids()
                    .filter(|&h| {
                        let x = fleet.host(h);
                        x.site as usize == s
                            && x.os == Os::Linux
                            && matches!(x.role, Role::Database | Role::Application | Role::Web)
                    })
                    .collect();
                self.jobs.push(Job {
                    name: format!("health checks at {}", fleet.sites[s].name),
                    account: monitor,
                    src: ops,
                    dsts,
                    schedule: Schedule::EveryHours(12),
                });
            }
        }
        if let Some(&ci) = fleet.of_role(hq, Role::Application).first() {
            let mut dsts: Vec<u32> = servers(&|r| r == Role::Application);
            dsts.retain(|&h| h != ci);
            let hour = rng.gen_range(13.0..15.0);
            self.jobs.push(Job {
                name: "application deployment".into(),
                account: deploy,
                src: ci,
                dsts,
                schedule: Schedule::Weekdays(hour),
            });
        }
        // scheduled tasks (batch logons) on Windows data servers: the host logs on to itself
        // service logons when Windows servers reboot (see background::Actor::Reboots)
        self.account("svc-app", Some(&domain), AccountKind::Service, false);
        let etl = self.account("svc-etl", Some(&domain), AccountKind::Service, false);
        for h in servers(&|r| matches!(r, Role::Crm | Role::File)) {
            self.jobs.push(Job {
                name: format!("ETL task on {}", fleet.host(h).name),
                account: etl,
                src: h,
                dsts: vec![h],
                schedule: Schedule::Daily(2.25),
            });
        }
    }
}
