//! Every world generates, is deterministic, reads back with zero problems, and keeps the
//! 2019 case's four hops.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use hopscope_sim::{scenarios, simulate, truth, OutFormat, Scenario, SimOptions, WorldName};

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn there_are_at_least_eight_worlds_beyond_the_baseline_and_names_parse_back() {
    assert!(WorldName::ALL.len() >= 9);
    assert_eq!(WorldName::ALL[0], WorldName::Baseline);
    for w in WorldName::ALL {
        assert_eq!(WorldName::parse(w.as_str()), Some(w));
        assert_eq!(w == WorldName::Baseline, w.routines().is_empty(), "{}", w.as_str());
    }
    assert_eq!(WorldName::parse("no-such-world"), None);
}

#[test]
fn every_world_generates_deterministically_and_reads_back_without_problems() {
    for world in WorldName::ALL {
        let opts = SimOptions {
            scenario: Scenario::Generic,
            world,
            scale: 0.3,
            days: Some(16),
            intrusions: 2,
            seed: 11,
            formats: vec![OutFormat::Sshd, OutFormat::Winjson],
            ..SimOptions::default()
        };
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sa = simulate(&opts, a.path()).unwrap();
        simulate(&opts, b.path()).unwrap();
        let (fa, fb) = (files(a.path()), files(b.path()));
        assert!(fa.len() > 20, "{}: {} files", world.as_str(), fa.len());
        assert!(fa == fb, "{}: same seed, different bytes", world.as_str());
        let truth: serde_json::Value =
            serde_json::from_slice(&fa["truth.json"]).expect("truth parses");
        let (events, summary) =
            support::ingest(a.path(), &[a.path().join("logs")], support::lanl_start(&truth));
        assert!(summary.problems.is_empty(), "{}: {:?}", world.as_str(), summary.problems.first());
        let inv = hopscope_ingest::inventory_csv::load(a.path()).unwrap();
        assert!(inv.problems.is_empty(), "{}: {:?}", world.as_str(), inv.problems);
        assert_eq!(inv.inventory.hosts.len(), sa.hosts, "{}", world.as_str());
        assert!(events > 1000, "{}: {events} events", world.as_str());
        if world != WorldName::Baseline {
            assert_eq!(truth["world"], world.as_str());
        } else {
            assert!(truth.get("world").is_none(), "the baseline's truth is unchanged");
        }
    }
}

#[test]
fn the_2019_case_keeps_its_four_hops_in_every_world() {
    for world in WorldName::ALL {
        for seed in [2019, 7] {
            let opts = SimOptions { world, seed, ..SimOptions::default() };
            let built = scenarios::build(&opts).unwrap();
            let t = truth::build(&built.world, &built.intrusions, &built.data, "ntt-2019", 1.0, 0);
            let i = &t.intrusions[0];
            let names: Vec<&str> = i.hosts.iter().map(|h| h.host.as_str()).collect();
            assert_eq!(
                names,
                ["sg-ops-03", "th-app-02", "us-jump-01", "jp-crm-01"],
                "{} seed {seed}",
                world.as_str()
            );
            let hops: Vec<(&str, &str, &str)> = t
                .logins
                .iter()
                .filter(|l| l.kind == "hop")
                .map(|l| (l.src_host.as_str(), l.dst_host.as_str(), l.protocol))
                .collect();
            assert_eq!(
                hops,
                [
                    ("sg-ops-03", "th-app-02", "ssh"),
                    ("th-app-02", "us-jump-01", "smb"),
                    ("us-jump-01", "jp-crm-01", "rdp")
                ],
                "{} seed {seed}",
                world.as_str()
            );
            assert_eq!(i.entry_from.as_deref(), Some("198.51.100.201"));
            assert_eq!(i.clients_exposed, 621, "{}", world.as_str());
        }
    }
}
