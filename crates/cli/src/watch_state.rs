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
/// address pools learned from behaviour; 9: the logs read before, known by their first
/// bytes, and the recent event times that place the stream's bulk; 10: ranges that hand
/// addresses out, learned from accounts moving between their addresses; 11: an alert's
/// intruder present on the hosts it entered with the accounts it brought, internet re-entry
/// keyed by account, each account's sources and logins from outside; 12: logins per account
/// and destination, each account's recent rare reaches and its habit of spreading; 14: pooled
/// addresses judged together; 15: the credential switches logged on each host, the feature
/// naming one on an alert's hop, and the hops seen from their source alone held for their
/// destination's record; 16: the ages of the sessions hops continue, and the stale-session
/// feature; 17: the alert each account's suspicious hops out of a seat joined): an older
/// checkpoint is refused.
pub const VERSION: u32 = 17;
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
    /// Logs read before (rotated away, truncated, gone), known by their first bytes.
    pub read_logs: Vec<ReadLog>,
    /// The latest event times read, which place the stream's bulk.
    pub recent_times: Vec<i64>,
}

/// One log read before, from its first byte: how a copy of it is known (its first bytes)
/// and where reading it stopped.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReadLog {
    /// The input it was read as.
    pub display: String,
    /// FNV-1a 64 of its first `head_len` bytes (up to 4 KiB, at least two whole lines).
    pub head_hash: u64,
    pub head_len: u32,
    /// Bytes of complete lines read; `None`: read whole (a compressed file, EVTX).
    pub offset: Option<u64>,
    /// The format its parser read, its lines read and the syslog year inferred, to continue
    /// a copy of it after `offset`.
    pub format: Option<String>,
    pub lines: u64,
    pub inferred_year: Option<i32>,
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
    pub read_logs: Vec<&'a ReadLog>,
    pub recent_times: Vec<i64>,
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

pub fn fnv(bytes: &[u8]) -> u64 {
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
    // a checkpoint that cannot be written whole (a full disk) leaves the previous one and
    // no temporary file
    write()
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
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

/// An exclusive advisory lock (`flock(2)`) on an open file, held as long as the file is
/// open: by this process until it ends, whichever way it ends (the kernel releases it at
/// `kill -9` too), so a crash never leaves a stale lock behind. Hand-written over `libc`
/// because the standard library's `File::try_lock` is newer than the workspace's
/// rust-version (1.88).
pub fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this `File` owns; no memory is passed.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Name of the lock file in a state directory.
pub const LOCK: &str = "lock";

/// Lock the state directory `dir` for this process (`dir/lock`, holding the process id of
/// the holder for the message a second process gives). Another `watch` holding it is an
/// error naming it. The returned file must be kept open for the run.
pub fn lock_dir(dir: &Path) -> Result<File> {
    use std::io::{Read, Seek};
    let path = dir.join(LOCK);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("--state {}: cannot open {}", dir.display(), path.display()))?;
    if !try_lock(&f).with_context(|| format!("locking {}", path.display()))? {
        let mut holder = String::new();
        let _ = f.read_to_string(&mut holder);
        let holder: String = holder.chars().filter(char::is_ascii_digit).take(12).collect();
        bail!(
            "--state {}: another hopscope watch{} is using this state directory (it holds the lock on {}); \
             stop it, or give each watch its own --state directory",
            dir.display(),
            if holder.is_empty() { String::new() } else { format!(" (process {holder})") },
            path.display()
        );
    }
    f.set_len(0)?;
    f.rewind()?;
    writeln!(f, "{}", std::process::id())?;
    Ok(f)
}
