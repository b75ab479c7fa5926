//! `hopscope scope` (in progress).
use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_a: Args) -> Result<()> {
    anyhow::bail!("scope is not built yet")
}
