//! Write a synthetic LANL 2015 `auth.txt` of N lines to stdout, for the ingest benchmark.
//!
//! Shape follows the real data set: ~60 bytes a line, tens of thousands of computers and
//! users, a skewed popularity (a few servers and machine accounts dominate), times rising.
//! Usage: `gen_lanl N > auth.txt`

use std::io::{BufWriter, Write};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000_000);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    const AUTH: [&str; 4] = ["Kerberos", "NTLM", "Negotiate", "?"];
    const LOGON: [&str; 5] = ["Network", "Service", "Batch", "Interactive", "?"];
    const ORIENT: [&str; 4] = ["LogOn", "LogOff", "TGS", "TGT"];
    for i in 0..n {
        let r = next();
        // skewed: squaring a uniform draw favours small ids
        let skew = |r: u64, max: u64| {
            let u = (r % 1_000_003) as f64 / 1_000_003.0;
            1 + (u * u * max as f64) as u64
        };
        let src = skew(r, 17_000);
        let dst = skew(r >> 20, 17_000);
        let machine = r & 3 == 0;
        let user = if machine { format!("C{src}$") } else { format!("U{}", skew(r >> 40, 12_000)) };
        let t = 1 + i / 300; // ~300 events a second, as in the real set
        writeln!(
            out,
            "{t},{user}@DOM1,{user}@DOM1,C{src},C{dst},{},{},{},{}",
            AUTH[(r >> 8) as usize % 4],
            LOGON[(r >> 12) as usize % 5],
            ORIENT[(r >> 16) as usize % 4],
            if (r >> 24) % 50 == 0 { "Fail" } else { "Success" }
        )
        .unwrap();
    }
}
