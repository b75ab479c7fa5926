//! `hopscope watch --state DIR`: the checkpoint file.
//!
//! A snapshot of everything a restart needs so that it continues instead of replaying: the
//! catalog (so ids stay the same), the detector (history, open chains, alert book, hops
//! waiting out the clock skew, counters, warmup end), and per input its identity, the offset
//! of the last complete line consumed, the events parsed but not yet fed, and what its parser
//! held. docs/watch.md (Restarts) is the user's page.
//!
//! Layout of `DIR/state.bin`: the magic line `hopscope-watch-state\n`, the format version
//! (u32 LE), the payload length (u64 LE), an FNV-1a 64 hash of the payload (u64 LE), then
//! the payload (bincode 1 of [`Checkpoint`]). It is written to `DIR/state.tmp`, fsynced,
//! renamed over `state.bin` and the directory fsynced: a crash leaves the old checkpoint or
//! the new one, never half of one.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hopscope_engine::{DetectConfig, Detector};
use hopscope_model::{Catalog, EventTable};
use serde::{Deserialize, Serialize};

const MAGIC: &[u8] = b"hopscope-watch-state\n";
/// Bumped whenever a checkpointed type changes shape or meaning (4: chain origins move to
/// the last door left; 5: lead-in hops held without their alert-hop vectors, expired
/// lazily; 6: arrivals into internet-facing servers, and whether each was new to its host; 7:
/// each alert hop keeps the doors of the other sessions into its source; 8: the doors and
/// address pools learned from behaviour): an older checkpoint is refused.
pub const VERSION: u32 = 8;
pub const FILE: &str = "state.bin";
const TMP: &str = "state.tmp";

/// Everything a restart continues from.
#[derive(Serialize, Deserialize)]
pub struct Checkpoint {
    /// Detection settings the state was built with (a restart with others is refused).
    pub config: DetectConfig,
    pub catalog: Catalog,
    pub detector: Detector,
    pub inputs: Vec<InputState>,
    /// Identities of files rotated away and fully read (not read again if found in a
    /// watched directory).
    pub retired: Vec<(u64, u64)>,
    /// Newest event time fed to the detector.
    pub fed_newest: i64,
    /// Output: last sequence number, and the budget's notifications per day.
    pub seq: u64,
    pub per_day: BTreeMap<i64, usize>,
    pub over_budget: Vec<String>,
}

/// [`Checkpoint`] borrowed, for writing without copying the detector (the same encoding:
/// bincode writes a reference as what it refers to).
#[derive(Serialize)]
pub struct CheckpointRef<'a> {
    pub config: &'a DetectConfig,
    pub catalog: &'a Catalog,
    pub detector: &'a Detector,
    pub inputs: Vec<InputState>,
    pub retired: Vec<(u64, u64)>,
    pub fed_newest: i64,
    pub seq: u64,
    pub per_day: &'a BTreeMap<i64, usize>,
    pub over_budget: Vec<&'a String>,
}

/// One input as the checkpoint saw it.
#[derive(Serialize, Deserialize)]
pub struct InputState {
    /// `None`: standard input (not resumable: what it sent is gone).
    pub path: Option<PathBuf>,
    /// (device, inode) of the file read.
    pub identity: Option<(u64, u64)>,
    /// Bytes of complete lines consumed.
    pub offset: u64,
    /// `unknown`, `following`, `read` (read whole once) or `unrecognised`.
    pub stage: String,
    /// The format its parser reads (`sshd`, `winjson`, …) when following.
    pub format: Option<String>,
    /// The syslog year inferred when it was first read (from the file's mtime then).
    pub inferred_year: Option<i32>,
    /// Complete lines parsed.
    pub lines: u64,
    /// Windows events its parser held for the join.
    pub held: usize,
    /// Events parsed and not yet fed to the detector (waiting for the merge across inputs).
    pub queue: EventTable,
    pub newest: i64,
    pub from_dir: bool,
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Write `cp` atomically to `dir/state.bin`. Returns the bytes written.
pub fn save(dir: &Path, cp: &CheckpointRef) -> Result<u64> {
    let payload = bincode::serialize(cp).context("encoding the watch checkpoint")?;
    let mut bytes = Vec::with_capacity(payload.len() + 64);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&fnv(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let tmp = dir.join(TMP);
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(FILE))?;
        File::open(dir)?.sync_all()
    };
    write()
        .with_context(|| format!("writing the watch checkpoint {}", dir.join(FILE).display()))?;
    Ok(bytes.len() as u64)
}

/// Read `dir/state.bin`; `None` when there is none. A file that is not a checkpoint of this
/// version, or is damaged, is an error naming it (never a panic).
pub fn load(dir: &Path) -> Result<Option<Checkpoint>> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let head = MAGIC.len() + 4 + 8 + 8;
    if bytes.len() < head || !bytes.starts_with(MAGIC) {
        bail!(
            "{}: not a hopscope watch checkpoint; remove it or give another --state directory",
            path.display()
        );
    }
    let word = |at: usize, n: usize| {
        bytes[at..at + n].iter().rev().fold(0u64, |acc, &b| acc << 8 | b as u64)
    };
    let version = word(MAGIC.len(), 4) as u32;
    if version != VERSION {
        bail!(
            "{}: a watch checkpoint of format version {version}, this hopscope reads version {VERSION}; \
             remove it (the next start replays the inputs) or use the hopscope that wrote it",
            path.display()
        );
    }
    let len = word(MAGIC.len() + 4, 8);
    let hash = word(MAGIC.len() + 12, 8);
    let payload = &bytes[head..];
    if payload.len() as u64 != len || fnv(payload) != hash {
        bail!(
            "{}: damaged watch checkpoint ({} payload bytes, {len} expected, or a checksum mismatch); remove it",
            path.display(),
            payload.len()
        );
    }
    let cp: Checkpoint = bincode::deserialize(payload).with_context(|| {
        format!("{}: cannot decode the watch checkpoint; remove it", path.display())
    })?;
    Ok(Some(cp))
}
