//! Same options, same bytes; another seed, other bytes.

use std::collections::BTreeMap;
use std::path::Path;

use hopscope_sim::{simulate, OutFormat, Scenario, SimOptions};

/// Every file under `dir` with its contents' FNV-1a hash.
fn hashes(dir: &Path) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                let mut h = 0xcbf2_9ce4_8422_2325u64;
                for b in &bytes {
                    h = (h ^ *b as u64).wrapping_mul(0x100_0000_01b3);
                }
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    (bytes.len() as u64, h),
                );
            }
        }
    }
    out
}

fn once(opts: &SimOptions) -> BTreeMap<String, (u64, u64)> {
    let dir = tempfile::tempdir().unwrap();
    simulate(opts, dir.path()).unwrap();
    hashes(dir.path())
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let opts = SimOptions {
        scenario: Scenario::Generic,
        scale: 0.5,
        intrusions: 6,
        formats: OutFormat::ALL.to_vec(),
        seed: 7,
        ..Default::default()
    };
    let a = once(&opts);
    let b = once(&opts);
    assert!(a.len() > 20, "expected many files, got {}", a.len());
    assert_eq!(a, b);
    let c = once(&SimOptions { seed: 8, ..opts });
    assert_ne!(a, c);
    let differing = a.iter().filter(|(k, v)| c.get(*k) != Some(v)).count();
    assert!(differing > a.len() / 2, "only {differing} of {} files differ", a.len());
}

#[test]
fn thread_count_does_not_matter() {
    let opts = SimOptions {
        scale: 0.3,
        formats: vec![OutFormat::Sshd, OutFormat::Winjson, OutFormat::Lanl],
        ..Default::default()
    };
    let a = once(&opts);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let b = pool.install(|| once(&opts));
    assert_eq!(a, b);
}
