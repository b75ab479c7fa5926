//! The fleet: sites in several countries and the hosts in them.
//!
//! Hosts are named `<site code>-<role>-<nn>` (`sg-ops-03`, `jp-crm-01`, workstations
//! `jp-ws-001`). Every host has a private address in its site's `10.<octet>.0.0/16`;
//! internet-facing hosts also have a public (NAT) address from 203.0.113.0/24
//! (RFC 5737 documentation range).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use hopscope_model::Lifecycle;
use jiff::civil::Date;

/// Operating system, which decides the log format a host writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Os {
    /// Writes sshd syslog lines.
    Linux,
    /// Writes Windows Security/System events.
    Windows,
}

/// What a host is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Workstation,
    DomainController,
    /// Windows jump server (RDP).
    Jump,
    /// Linux SSH bastion.
    Bastion,
    File,
    Mail,
    Database,
    Application,
    /// Operations / monitoring box.
    Ops,
    Web,
    Backup,
    /// Customer-relationship system holding client data.
    Crm,
    /// Internet-facing SFTP server partners fetch files from (worlds with partners).
    Transfer,
    /// Configuration management or vulnerability scanning (worlds with them).
    Management,
    /// CI/CD build agent (worlds with deploy pipelines).
    Build,
}

impl Role {
    /// Name in `hosts.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Workstation => "workstation",
            Role::DomainController => "domain-controller",
            Role::Jump => "jump",
            Role::Bastion => "bastion",
            Role::File => "file",
            Role::Mail => "mail",
            Role::Database => "database",
            Role::Application => "application",
            Role::Ops => "ops",
            Role::Web => "web",
            Role::Backup => "backup",
            Role::Crm => "crm",
            Role::Transfer => "file-transfer",
            Role::Management => "management",
            Role::Build => "build-agent",
        }
    }
    /// Short form used in host names.
    pub fn code(self) -> &'static str {
        match self {
            Role::Workstation => "ws",
            Role::DomainController => "dc",
            Role::Jump => "jump",
            Role::Bastion => "bastion",
            Role::File => "file",
            Role::Mail => "mail",
            Role::Database => "db",
            Role::Application => "app",
            Role::Ops => "ops",
            Role::Web => "web",
            Role::Backup => "bak",
            Role::Crm => "crm",
            Role::Transfer => "sftp",
            Role::Management => "mgmt",
            Role::Build => "ci",
        }
    }
    pub fn os(self) -> Os {
        match self {
            Role::Workstation
            | Role::DomainController
            | Role::Jump
            | Role::File
            | Role::Mail
            | Role::Crm => Os::Windows,
            Role::Bastion
            | Role::Database
            | Role::Application
            | Role::Ops
            | Role::Web
            | Role::Backup
            | Role::Transfer
            | Role::Management
            | Role::Build => Os::Linux,
        }
    }
    /// 1 low … 4 critical.
    pub fn criticality(self) -> u8 {
        match self {
            Role::Workstation => 1,
            Role::Application | Role::Ops | Role::Web | Role::Build => 2,
            Role::Jump
            | Role::Bastion
            | Role::File
            | Role::Mail
            | Role::Database
            | Role::Backup
            | Role::Transfer
            | Role::Management => 3,
            Role::DomainController | Role::Crm => 4,
        }
    }
    /// Servers are what admins administer.
    pub fn is_server(self) -> bool {
        self != Role::Workstation
    }
    /// Entry points for administration.
    pub fn is_jump(self) -> bool {
        matches!(self, Role::Jump | Role::Bastion)
    }
}

/// A site: a country, a time zone and an address range.
#[derive(Clone, Debug)]
pub struct Site {
    /// `tokyo`.
    pub name: String,
    /// `jp`: the host-name prefix.
    pub code: String,
    pub country: String,
    /// IANA zone, e.g. `Asia/Tokyo`.
    pub tz_name: String,
    pub tz: jiff::tz::TimeZone,
    /// Second octet of `10.<octet>.0.0/16`.
    pub octet: u8,
    /// Headquarters: global admins and the backup server live here.
    pub hq: bool,
}

impl Site {
    pub fn cidr(&self) -> String {
        format!("10.{}.0.0/16", self.octet)
    }
}

/// A host as the CMDB knows it, plus when it existed.
#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub os: Os,
    pub role: Role,
    pub site: u16,
    /// Private address in the site range.
    pub ip: Ipv4Addr,
    /// Public (NAT) address of an internet-facing host.
    pub public_ip: Option<Ipv4Addr>,
    /// A user name for workstations, a team for servers.
    pub owner: String,
    /// Lifecycle as exported at the end of the simulation.
    pub lifecycle: Lifecycle,
    pub last_patched: Date,
    pub internet_facing: bool,
    pub criticality: u8,
    /// First simulation day the host exists (0 for hosts older than the simulation).
    pub added: u32,
    /// Day the host is switched off, if within the simulation.
    pub retired: Option<u32>,
    /// Missed patching: `last_patched` stays old.
    pub stale: bool,
}

impl Host {
    pub fn active(&self, day: u32) -> bool {
        day >= self.added && self.retired.is_none_or(|r| day < r)
    }
}

/// Sites and hosts, with a name index.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub sites: Vec<Site>,
    pub hosts: Vec<Host>,
    /// NetBIOS domain of the Windows accounts (`CORP`).
    pub domain: String,
    /// DNS suffix of the hosts (`corp.example`).
    pub dns: String,
    by_name: BTreeMap<String, u32>,
    next_server: Vec<u32>,
    next_ws: Vec<u32>,
    next_public: u8,
}

impl Fleet {
    pub fn new(sites: Vec<Site>) -> Fleet {
        let n = sites.len();
        Fleet {
            sites,
            domain: "CORP".into(),
            dns: "corp.example".into(),
            next_server: vec![0; n],
            next_ws: vec![0; n],
            next_public: 10,
            ..Default::default()
        }
    }

    /// Add the next host of `role` at `site` (`<code>-<role>-<nn>`), with its address.
    pub fn add(&mut self, site: usize, role: Role, default_patch: Date) -> u32 {
        let code = &self.sites[site].code;
        let prefix = format!("{}-{}-", code, role.code());
        let n = (1..).find(|i| {
            let name = if role == Role::Workstation {
                format!("{prefix}{i:03}")
            } else {
                format!("{prefix}{i:02}")
            };
            !self.by_name.contains_key(&name)
        });
        let n = n.expect("a free number");
        let name = if role == Role::Workstation {
            format!("{prefix}{n:03}")
        } else {
            format!("{prefix}{n:02}")
        };
        let octet = self.sites[site].octet;
        let ip = if role == Role::Workstation {
            let k = self.next_ws[site];
            self.next_ws[site] += 1;
            Ipv4Addr::new(10, octet, 64 + (k / 240) as u8, 10 + (k % 240) as u8)
        } else {
            let k = self.next_server[site];
            self.next_server[site] += 1;
            Ipv4Addr::new(10, octet, 1 + (k / 240) as u8, 10 + (k % 240) as u8)
        };
        let id = self.hosts.len() as u32;
        self.by_name.insert(name.clone(), id);
        self.hosts.push(Host {
            name,
            os: role.os(),
            role,
            site: site as u16,
            ip,
            public_ip: None,
            owner: String::new(),
            lifecycle: Lifecycle::Active,
            last_patched: default_patch,
            internet_facing: false,
            criticality: role.criticality(),
            added: 0,
            retired: None,
            stale: false,
        });
        id
    }

    /// Make a host reachable from the internet through a public address.
    pub fn expose(&mut self, host: u32) {
        let ip = Ipv4Addr::new(203, 0, 113, self.next_public);
        self.next_public = self.next_public.wrapping_add(1).max(10);
        let h = &mut self.hosts[host as usize];
        h.public_ip = Some(ip);
        h.internet_facing = true;
    }

    pub fn by_name(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// Hosts of `role` at `site`, in id order.
    pub fn of_role(&self, site: usize, role: Role) -> Vec<u32> {
        self.ids()
            .filter(|&h| {
                self.hosts[h as usize].site as usize == site && self.hosts[h as usize].role == role
            })
            .collect()
    }

    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        0..self.hosts.len() as u32
    }

    pub fn host(&self, id: u32) -> &Host {
        &self.hosts[id as usize]
    }

    /// `JP-CRM-01.corp.example`: the `Hostname` Windows writes.
    pub fn fqdn_upper(&self, id: u32) -> String {
        format!("{}.{}", self.hosts[id as usize].name.to_ascii_uppercase(), self.dns)
    }

    pub fn site_of(&self, id: u32) -> &Site {
        &self.sites[self.hosts[id as usize].site as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses() {
        let tz = jiff::tz::TimeZone::UTC;
        let site = Site {
            name: "singapore".into(),
            code: "sg".into(),
            country: "Singapore".into(),
            tz_name: "UTC".into(),
            tz,
            octet: 30,
            hq: false,
        };
        let mut f = Fleet::new(vec![site]);
        let d = jiff::civil::date(2019, 1, 1);
        let a = f.add(0, Role::Ops, d);
        let b = f.add(0, Role::Ops, d);
        let w = f.add(0, Role::Workstation, d);
        assert_eq!(f.host(b).name, "sg-ops-02");
        assert_eq!(f.host(w).name, "sg-ws-001");
        assert_eq!(f.host(a).ip, Ipv4Addr::new(10, 30, 1, 10));
        assert_eq!(f.host(w).ip, Ipv4Addr::new(10, 30, 64, 10));
        f.expose(b);
        assert!(f.host(b).internet_facing);
        assert_eq!(f.fqdn_upper(b), "SG-OPS-02.corp.example");
    }
}
