//! Throughput of the detection pass: streams synthetic events through the detector in
//! batches (never all in memory) and prints events/s and peak memory.
//!
//!   cargo run --release -p hopscope-engine --example detect_bench [EVENTS] [HOSTS] [ACCOUNTS]
//!
//! The fleet: HOSTS hosts in 5 countries, ACCOUNTS accounts, each with a home workstation and
//! a handful of usual servers; 0.1% of logins go somewhere new; 2% are failures; 1% are
//! logoffs. Events are spread over 90 days. Only `Detector::feed` is timed.

use std::time::{Duration, Instant};

use hopscope_engine::{DetectConfig, Detector, Fleet, HostFacts};
use hopscope_model::{Catalog, EventTable, Orientation, Outcome};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, fast, good enough for load
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let arg = |i: usize, d: u64| std::env::args().nth(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (events, hosts, accounts) = (arg(1, 10_000_000), arg(2, 5_000), arg(3, 2_000));
    let mut fleet = Fleet::default();
    for h in 1..=hosts as u32 {
        fleet.set_host(
            h,
            HostFacts {
                site: 1 + h % 12,
                country: 1 + h % 5,
                criticality: (h % 50 == 0) as u8 * 4,
                ..HostFacts::default()
            },
        );
    }
    let mut d = Detector::with_fleet(fleet, DetectConfig::default());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let span: i64 = 90 * 86_400_000_000;
    let start: i64 = 1_546_300_800_000_000; // 2019-01-01
    let batch = 1 << 16;
    let mut t = EventTable::with_capacity(batch);
    let (mut fed, mut timed) = (0u64, Duration::ZERO);
    let rss_before = peak_rss_kib();
    while fed < events {
        t.clear();
        let n = batch.min((events - fed) as usize);
        for k in 0..n {
            let i = fed + k as u64;
            let user = 1 + rng.below(accounts) as u32;
            let home = 1 + (user as u64 * 7919 % hosts) as u32;
            let r = rng.below(1000);
            let (src, dst) = if r == 0 {
                (home, 1 + rng.below(hosts) as u32) // somewhere new
            } else {
                // one of the account's five usual servers, sometimes onwards from it
                let server = 1 + ((user as u64 * 31 + rng.below(5) * 104_729) % hosts) as u32;
                if r < 300 {
                    (server, 1 + ((server as u64 * 13 + rng.below(3)) % hosts) as u32)
                } else {
                    (home, server)
                }
            };
            t.time.push(start + (i as i128 * span as i128 / events as i128) as i64);
            t.src_host.push(src);
            t.src_ip.push(0);
            t.dst_host.push(dst);
            t.dst_ip.push(0);
            t.user.push(user);
            t.src_user.push(0);
            t.auth.push(1 + r.is_multiple_of(3) as u32);
            t.logon_type.push(3);
            t.outcome.push(if r < 20 && r > 0 {
                Outcome::Failure as u8
            } else {
                Outcome::Success as u8
            });
            t.orientation.push(if r > 990 {
                Orientation::LogOff as u8
            } else {
                Orientation::LogOn as u8
            });
            t.format.push(1);
            t.event_id.push(0);
            t.flags.push(0);
            t.source.push(1);
            t.position.push(i + 1);
        }
        let clock = Instant::now();
        d.feed(&t);
        timed += clock.elapsed();
        fed += n as u64;
    }
    let stats = d.stats();
    let sizes = d.state_sizes();
    let clock = Instant::now();
    let det = d.finish(&Catalog::default());
    timed += clock.elapsed();
    let secs = timed.as_secs_f64();
    println!("events            {fed}");
    println!("hosts / accounts  {hosts} / {accounts}");
    println!(
        "hops              {} ({} suspicious, {} distinct edges)",
        stats.hops, stats.suspicious_hops, stats.edges
    );
    println!(
        "alerts            {} kept, {} dropped by budget, {} raised",
        det.alerts.len(),
        det.dropped_by_budget,
        det.stats.raised
    );
    println!(
        "state at end      {} links, {} open alerts, {} pending hops, {} failure runs",
        sizes.0, sizes.1, sizes.2, sizes.3
    );
    println!("time (detector)   {secs:.2} s");
    println!("throughput        {:.2} M events/s", fed as f64 / secs / 1e6);
    println!(
        "peak RSS          {:.1} MiB (before the run: {:.1} MiB)",
        peak_rss_kib() as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
}
