//! Benign background statistics (loose bounds; the figures are in docs/simulator.md),
//! measured from the LANL output like an analyst would.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use support::case;

struct Line {
    t: i64,
    user: String,
    src: String,
    dst: String,
    logon_type: String,
    logon: bool,
    ok: bool,
}

fn lines() -> Vec<Line> {
    let text = std::fs::read_to_string(case().path().join("lanl/auth.txt")).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Line {
                t: f[0].parse().unwrap(),
                user: f[2].to_string(),
                src: f[3].to_string(),
                dst: f[4].to_string(),
                logon_type: f[6].to_string(),
                logon: f[7] == "LogOn",
                ok: f[8] == "Success",
            }
        })
        .collect()
}

fn role_of(host: &str) -> &str {
    host.split('-').nth(1).unwrap_or("")
}

#[test]
fn first_time_edges_happen_on_most_days() {
    let mut seen = BTreeSet::new();
    let mut per_day: BTreeMap<i64, u64> = BTreeMap::new();
    for l in lines().iter().filter(|l| l.logon && l.ok && l.src != l.dst && !l.src.contains('.')) {
        let day = l.t / 86_400;
        let e = per_day.entry(day).or_default();
        if seen.insert((l.src.clone(), l.dst.clone())) {
            *e += 1;
        }
    }
    // after a month of warm-up, most working days still bring new source→destination
    // pairs (LANL day 1 is the first simulated day; weekday from the UTC date)
    let start = support::lanl_start(&case().truth).unix_secs() / 86_400;
    let weekday = |d: i64| (start + d + 3).rem_euclid(7);
    let days: Vec<u64> =
        per_day.iter().filter(|(d, _)| **d > 31 && weekday(**d) < 5).map(|(_, n)| *n).collect();
    let with_new = days.iter().filter(|n| **n > 0).count();
    let mean = days.iter().sum::<u64>() as f64 / days.len() as f64;
    eprintln!(
        "first-time edges: {with_new} of {} working days, mean {mean:.2} per working day",
        days.len()
    );
    assert!(
        with_new * 10 >= days.len() * 6,
        "{with_new} of {} days have first-time edges",
        days.len()
    );
}

#[test]
fn admins_mostly_come_through_jump_hosts() {
    let mut via = 0u64;
    let mut all = 0u64;
    for l in lines().iter().filter(|l| l.logon && l.ok && l.logon_type == "RemoteInteractive") {
        let dst_role = role_of(&l.dst);
        if matches!(dst_role, "jump" | "bastion" | "ws")
            || l.user.starts_with("svc-")
            || l.src.contains('.')
        {
            continue;
        }
        all += 1;
        if matches!(role_of(&l.src), "jump" | "bastion") {
            via += 1;
        }
    }
    assert!(all > 1000, "{all}");
    let share = via as f64 / all as f64;
    eprintln!("remote interactive admin logins into servers through jump hosts: {via} of {all} ({share:.2})");
    assert!(share > 0.6, "{share}");
}

#[test]
fn credential_switches_and_cross_country_work_are_benign_and_common() {
    let ls = lines();
    // on bastions, sessions go on as root or a role account
    let switched = ls
        .iter()
        .filter(|l| {
            l.logon
                && role_of(&l.src) == "bastion"
                && (l.user.starts_with("root@") || l.user.starts_with("oracle@"))
        })
        .count();
    eprintln!("bastion sessions continuing as root/oracle: {switched}");
    assert!(switched > 100, "{switched}");
    // admins at headquarters work on servers abroad
    let abroad = ls
        .iter()
        .filter(|l| {
            l.logon
                && l.user.starts_with("adm-")
                && l.src.starts_with("jp-")
                && !l.dst.starts_with("jp-")
        })
        .count();
    eprintln!("adm- logins from Japan to servers abroad: {abroad}");
    assert!(abroad > 50, "{abroad}");
}

#[test]
fn diurnal_curve_follows_local_working_hours() {
    // hosts.csv: site of every host; sites' zones from the simulator's table
    let zones: BTreeMap<&str, &str> = [
        ("jp", "Asia/Tokyo"),
        ("us", "America/New_York"),
        ("sg", "Asia/Singapore"),
        ("th", "Asia/Bangkok"),
        ("de", "Europe/Berlin"),
        ("au", "Australia/Sydney"),
    ]
    .into();
    let start = support::lanl_start(&case().truth).unix_secs();
    let mut by_site: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for l in lines().iter().filter(|l| l.logon && l.logon_type == "Interactive") {
        let code = &l.dst[..2];
        let tz = jiff::tz::TimeZone::get(zones[code]).unwrap();
        let ts = jiff::Timestamp::from_second(start + l.t).unwrap();
        let hour = ts.in_tz(zones[code]).unwrap().hour();
        let _ = &tz;
        let e = by_site.entry(zones[code]).or_default();
        e.1 += 1;
        if (7..=11).contains(&hour) {
            e.0 += 1;
        }
    }
    assert_eq!(by_site.len(), 6);
    for (site, (morning, all)) in by_site {
        let share = morning as f64 / all as f64;
        eprintln!("{site}: {morning} of {all} console logons between 07 and 11 local ({share:.2})");
        assert!(share > 0.8, "{site}: {share} of console logons between 07 and 11 local");
    }
}

#[test]
fn internet_scanners_hit_internet_facing_hosts_only() {
    let ls = lines();
    let external: BTreeSet<&str> =
        ls.iter().filter(|l| l.src.contains('.')).map(|l| l.dst.as_str()).collect();
    assert!(external.contains("sg-ops-03"));
    assert!(external.iter().all(|h| h.contains("-web-") || *h == "sg-ops-03"), "{external:?}");
    let failures = ls.iter().filter(|l| l.src.contains('.') && !l.ok).count();
    eprintln!("failed logins from the internet: {failures}");
    assert!(failures > 5000, "{failures}");
}
