//! Everything the generators share: the fleet, the people, the calendar and the lookups
//! (each site's domain controller, jump host, bastion, file servers).

use crate::fleet::{Fleet, Os, Role};
use crate::people::People;
use crate::rhythm::Calendar;

/// The simulated organisation over the simulated period.
#[derive(Clone, Debug)]
pub struct World {
    pub seed: u64,
    pub fleet: Fleet,
    pub people: People,
    pub cal: Calendar,
    /// Simulation day of the maintenance weekend's Saturday (every server is touched).
    pub maintenance: u32,
    /// Per site: first domain controller, Windows jump host, Linux bastion.
    pub dc: Vec<Option<u32>>,
    pub jump: Vec<Option<u32>>,
    pub bastion: Vec<Option<u32>>,
    /// Per site: file servers.
    pub file: Vec<Vec<u32>>,
    /// The headquarters mail server.
    pub mail: Option<u32>,
    /// Accounts internet scanners guess (`admin`, `test`, ...) and `root`.
    pub guesses: Vec<u32>,
    /// The world's routines beyond the baseline, with their rates for this seed.
    pub routines: crate::worlds::Routines,
}

impl World {
    pub fn new(seed: u64, fleet: Fleet, people: People, cal: Calendar, maintenance: u32) -> World {
        let n = fleet.sites.len();
        let first = |s: usize, r: Role| fleet.of_role(s, r).first().copied();
        let dc = (0..n).map(|s| first(s, Role::DomainController)).collect();
        let jump = (0..n).map(|s| first(s, Role::Jump)).collect();
        let bastion = (0..n).map(|s| first(s, Role::Bastion)).collect();
        let file = (0..n).map(|s| fleet.of_role(s, Role::File)).collect();
        let hq = fleet.sites.iter().position(|s| s.hq).unwrap_or(0);
        let mail = first(hq, Role::Mail);
        let mut w = World {
            seed,
            fleet,
            people,
            cal,
            maintenance,
            dc,
            jump,
            bastion,
            file,
            mail,
            guesses: Vec::new(),
            routines: crate::worlds::Routines::default(),
        };
        for g in [
            "admin",
            "test",
            "user",
            "ubuntu",
            "postgres",
            "git",
            "guest",
            "support",
            "ftpuser",
            "pi",
            "deploy",
            "nagios",
            "hadoop",
            "minecraft",
        ] {
            let id = w.people.account(g, None, crate::people::AccountKind::Guess, false);
            w.guesses.push(id);
        }
        w.guesses.push(w.people.root);
        w
    }

    /// The domain controller that answers Kerberos and NTLM for logins at `site`
    /// (headquarters' when the site has none).
    pub fn dc_for(&self, site: usize) -> Option<u32> {
        self.dc[site].or_else(|| self.dc.iter().flatten().next().copied())
    }

    pub fn is_windows(&self, h: u32) -> bool {
        self.fleet.host(h).os == Os::Windows
    }

    /// Unix day of simulation day 0.
    pub fn first_day(&self) -> i64 {
        self.cal.first_day
    }
}
