//! `hopscope demo`: the 2019 story on a simulated fleet, with every stage that exists.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the simulated logs, the case and the report.
    #[arg(long, value_name = "DIR", default_value = "demo-out")]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let _ = a;
    anyhow::bail!("the demo needs the simulator, which is not built yet")
}
