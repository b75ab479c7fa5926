//! Reasons in plain words: "first login ever from sg-ops-03 to th-app-02; sg-ops-03 is
//! being decommissioned and was last patched 2018-03-14".

use crate::detect::alert::AlertHop;
use crate::detect::history::SPREAD_WINDOW;
use crate::detect::score::Feature;
use crate::fleet::Fleet;
use crate::units::HOUR;
use hopscope_model::{criticality_name, Catalog, LogonType};

/// Names for the ids an explanation mentions.
pub struct Names<'a> {
    pub catalog: &'a Catalog,
    pub fleet: &'a Fleet,
}

impl Names<'_> {
    pub fn host(&self, id: u32) -> String {
        self.catalog.hosts.name(id).unwrap_or("an unknown host").to_string()
    }
    pub fn account(&self, id: u32) -> String {
        self.catalog.accounts.get(id).map_or_else(|| "an unknown account".into(), |a| a.display())
    }
    pub fn auth(&self, id: u32) -> String {
        self.catalog.auths.name(id).unwrap_or("an unknown protocol").to_string()
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        n => format!("{n} times"),
    }
}

/// `42 min`, `3.5 h`, `2 days`.
fn age_words(minutes: u32) -> String {
    match minutes {
        0..=89 => format!("{minutes} min"),
        90..=2879 => format!("{:.1} h", minutes as f64 / 60.0),
        m => format!("{} days", m / 1440),
    }
}

/// How a switch was made, as the rest of "opsadmin became root on sg-ops-03 ...": `with sudo`,
/// `with explicit credentials (4648)`, `by a new-credentials logon (4624 type 9)`.
pub fn switch_method(kind: hopscope_model::SwitchKind, label: Option<&str>) -> String {
    use hopscope_model::SwitchKind;
    match kind {
        SwitchKind::Program => format!("with {}", label.unwrap_or("a program")),
        SwitchKind::ExplicitCredentials => "with explicit credentials (4648)".into(),
        SwitchKind::NewCredentials => "by a new-credentials logon (4624 type 9)".into(),
    }
}

/// One sentence for one suspicious hop: novelty first, then the source's weaknesses, the
/// destination's value, the crossing and the rest.
pub fn reason(h: &AlertHop, names: &Names) -> String {
    let hop = &h.hop;
    let (src, dst, user) = (names.host(hop.src), names.host(hop.dst), names.account(hop.user));
    let mut clauses: Vec<String> = Vec::new();
    let mut weak: Vec<String> = Vec::new();
    let mut jewel: Vec<String> = Vec::new();
    for c in &h.contributions {
        match c.feature {
            Feature::NewEdge => clauses.push(format!("first login ever from {src} to {dst}")),
            Feature::NewAccountOnDestination => clauses.push(format!("{user} had never logged on to {dst}")),
            Feature::NewAccountOnSource => clauses.push(format!("{user} had never logged in out of {src}")),
            Feature::Spread { rare, usual } => clauses.push(format!(
                "{user} reached {rare} destinations it rarely visits within {} h, more than ever before ({usual})",
                SPREAD_WINDOW / HOUR
            )),
            Feature::RoutineSource { logins, rate } => clauses.push(format!(
                "{user} logged in out of {src} {} before and goes somewhere new in {:.1} % of its logins",
                times(logins),
                rate as f64 / 10.0
            )),
            Feature::SwitchedOnSource { from, method, kind } => clauses.push(format!(
                "{} became {user} on {src} {} before this hop",
                names.account(from),
                switch_method(kind, names.catalog.auths.name(method))
            )),
            Feature::LeadIn => clauses.push(format!("a suspicious hop left {dst} soon after this login reached it")),
            Feature::RoamingAccount { sources, rate } => clauses.push(format!(
                "{user} logs in from a source it never used before in {:.1} % of its logins ({sources} sources so far)",
                rate as f64 / 10.0
            )),
            Feature::StaleSession { minutes } => clauses.push(format!(
                "{user}'s own login into {src} was {} before, later than the fleet's sessions are usually moved on from",
                age_words(minutes)
            )),
            Feature::CredentialSwitch { from } => {
                let from = names.account(from);
                clauses.push(format!("the chain switched from {from} to {user}, an account {from} never used"))
            }
            Feature::UnusualAuth { usual } => {
                clauses.push(format!("{} where {user} uses {}", names.auth(hop.auth), names.auth(usual)))
            }
            Feature::UnusualLogonType { usual } => clauses.push(format!(
                "a {} logon, which {user} never made before (usually {})",
                hop.logon_type.as_str(),
                LogonType::from_code(usual).unwrap_or_default().as_str()
            )),
            Feature::InternetLogin { seen, logins } => clauses.push(match seen {
                0 => format!("a login from the internet into {dst}, which had accepted none before ({logins} logins from inside)"),
                n => format!("a login from the internet into {dst}, which had accepted one from outside only {} in {logins} logins", times(n)),
            }),
            Feature::AccountFromOutside { visits } => clauses.push(format!(
                "{user} logged on to {dst} {} before, never from the internet",
                times(visits)
            )),
            Feature::PassTheHash { flagged: true } => clauses.push("pass-the-hash (logon type 9 via seclogo)".into()),
            Feature::PassTheHash { flagged: false } => {
                clauses.push("a new-credentials logon (type 9), as pass-the-hash tools make".into())
            }
            Feature::BruteForce { failures } => {
                clauses.push(format!("{failures} failed logons from {src} to {dst} before this one succeeded"))
            }
            Feature::Decommissioning => weak.push("is being decommissioned".into()),
            Feature::Retired => weak.push("is retired".into()),
            Feature::StalePatch { .. } => {
                let src_facts = names.fleet.host(hop.src);
                let weak_host = if src_facts.is_internet { names.fleet.host(hop.dst) } else { src_facts };
                let date = weak_host.last_patched.map(|t| t.to_rfc3339()[..10].to_string());
                weak.push(format!("was last patched {}", date.unwrap_or_else(|| "long ago".into())))
            }
            Feature::InternetFacing => weak.push("is internet-facing".into()),
            Feature::InternetLogins => weak.push("has accepted logins from the internet".into()),
            Feature::CrownJewel { criticality } => jewel.push(match criticality {
                4 => "is critical".into(),
                c => format!("is of {} criticality", criticality_name(c)),
            }),
            Feature::HoldsData { clients } => jewel.push(format!(
                "holds data of {clients} client organisation{}",
                if clients == 1 { "" } else { "s" }
            )),
            Feature::RestrictedData => jewel.push("holds restricted data".into()),
            Feature::CrossCountry { seen } | Feature::CrossSite { seen } => {
                let (fs, fd) = (names.fleet.host(hop.src), names.fleet.host(hop.dst));
                let (kind, a, b) = if matches!(c.feature, Feature::CrossCountry { .. }) {
                    ("country", names.fleet.country_name(fs.country), names.fleet.country_name(fd.country))
                } else {
                    ("site", names.fleet.site_name(fs.site), names.fleet.site_name(fd.site))
                };
                let history = match seen {
                    0 => format!("a {kind} pair never hopped before"),
                    n => format!("a {kind} pair hopped {} before", times(n)),
                };
                clauses.push(format!("crosses from {} to {} ({history})", a.unwrap_or("?"), b.unwrap_or("?")))
            }
            Feature::UnusualHour { hour } => clauses.push(format!("{user} rarely logs on around {hour:02}:00 UTC")),
            Feature::ServiceInstall => clauses.push(format!("a service was installed on {dst} right after the logon")),
            Feature::AdminShare => clauses.push(format!("an administrative share on {dst} was used")),
        }
    }
    // novelty, then the weak source, then the valuable destination, then the rest
    let novelty = h.contributions.iter().filter(|c| c.feature.is_novelty()).count();
    let mut out: Vec<String> = clauses[..novelty].to_vec();
    if !weak.is_empty() {
        let weak_host = if names.fleet.host(hop.src).is_internet { &dst } else { &src };
        out.push(format!("{weak_host} {}", and_list(&weak)));
    }
    if !jewel.is_empty() {
        out.push(format!("{dst} {}", and_list(&jewel)));
    }
    out.extend_from_slice(&clauses[novelty..]);
    out.join("; ")
}
