//! hopscope's simulator: a multinational fleet with benign background logins and injected
//! intrusions, written in the real log formats hopscope reads, with the ground truth.
//!
//! ```no_run
//! use hopscope_sim::{simulate, SimOptions};
//! let summary = simulate(&SimOptions::default(), std::path::Path::new("case-2019")).unwrap();
//! println!("{} events in {} files", summary.events, summary.files.len());
//! ```
//!
//! Data flow, one module per step: [`scenarios`] builds the [`fleet`] and its [`people`],
//! plans the [`intrusion`]s; [`emit`] walks the days, asks [`background`] for every actor's
//! logins (on the [`rhythm`] of each site), expands logins into records and hands them to the
//! [`writers`]; [`inventory`] and [`truth`] write the context and the ground truth.
//!
//! Architecture invariant: output depends only on the options. Every random stream is a
//! ChaCha generator seeded from (seed, what it is for, whose it is); maps are `BTreeMap`s;
//! parallel work is collected in a fixed order; no clock is read.

pub mod background;
pub mod clients;
pub mod emit;
pub mod fleet;
pub mod hopper;
pub mod intrusion;
pub mod inventory;
pub mod login;
pub mod people;
pub mod rhythm;
pub mod rng;
pub mod scenarios;
pub mod timefmt;
pub mod truth;
pub mod world;
pub mod worlds;
pub mod writers;

pub use worlds::WorldName;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// Which story to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scenario {
    /// The 2019–2020 case: Singapore → Thailand → United States → Japan, 621 clients.
    #[default]
    Ntt2019,
    /// Hopper-style intrusions (goals × stealth) in a generic fleet.
    Generic,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Ntt2019 => "ntt-2019",
            Scenario::Generic => "generic",
        }
    }
    pub fn parse(s: &str) -> Option<Scenario> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ntt-2019" | "ntt2019" | "ntt" => Some(Scenario::Ntt2019),
            "generic" => Some(Scenario::Generic),
            _ => None,
        }
    }
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutFormat {
    /// OpenSSH syslog lines, `logs/linux/<host>/auth.log` (UTC).
    Sshd,
    /// Windows events as NXLog/OTRF JSON lines, `logs/windows/<host>.jsonl`.
    Winjson,
    /// LANL 2015 `auth.txt` for the whole fleet, `lanl/auth.txt`.
    Lanl,
    /// Zeek `conn.log` and `ssh.log` per site sensor, `zeek/<site>/`.
    Zeek,
}

impl OutFormat {
    pub const ALL: [OutFormat; 4] =
        [OutFormat::Sshd, OutFormat::Winjson, OutFormat::Lanl, OutFormat::Zeek];
    pub fn as_str(self) -> &'static str {
        match self {
            OutFormat::Sshd => "sshd",
            OutFormat::Winjson => "winjson",
            OutFormat::Lanl => "lanl",
            OutFormat::Zeek => "zeek",
        }
    }
    pub fn parse(s: &str) -> Option<OutFormat> {
        OutFormat::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOptions {
    pub scenario: Scenario,
    pub seed: u64,
    /// Grows hosts and accounts (linearly) and, for `generic`, days (with the square root).
    /// 1.0 is the demo size.
    pub scale: f64,
    /// Default: sshd and winjson.
    pub formats: Vec<OutFormat>,
    /// `ntt-2019`: the case plus `intrusions - 1` generic ones (0: background only).
    /// `generic`: this many, spread over goals × stealth levels.
    pub intrusions: usize,
    /// First simulated day (default: 2019-06-01 for ntt-2019, 2021-03-01 for generic).
    /// The case's intrusion dates are fixed; move the period and they may fall outside.
    pub start: Option<jiff::civil::Date>,
    /// Day after the last simulated day (default: 2020-06-01 for ntt-2019; for generic,
    /// 45·√scale days or 4 days per intrusion, whichever is longer:
    /// [`scenarios::generic_days`]).
    pub end: Option<jiff::civil::Date>,
    /// Days simulated, when `end` is not given (default as for `end`).
    pub days: Option<u32>,
    /// Generic intrusions start no earlier than this many days into the period (default
    /// [`DEFAULT_QUIET_DAYS`]: after detection's 14-day warmup, as in a deployment that has
    /// history before it is judged). Capped at three fifths of the period so short runs
    /// still hold intrusions. The ntt-2019 case keeps its dates.
    pub quiet_days: u32,
    /// The world: which routines the fleet has beyond the baseline (default `baseline`).
    pub world: WorldName,
    /// Who generates the generic intrusions (default `hopscope`).
    pub attacker: Attacker,
    /// Periods in which hosts' own logs are missing (default none): what an intruder who
    /// stops or clears a host's logging leaves behind.
    pub log_gaps: Vec<LogGap>,
}

/// A period in which a host's own log files get no lines (every other file still sees the
/// host's logins: the other end's logs, the domain controller's, LANL, Zeek).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogGap {
    /// The host, by name (`th-app-02`).
    pub host: String,
    /// From this time (Unix microseconds) ...
    pub from: i64,
    /// ... to this one (exclusive; `None`: to the end of the simulation).
    pub to: Option<i64>,
    /// On a Windows host: the account that clears the Security log at `from` (a 1102 event
    /// is its log's last line before the gap).
    pub cleared_by: Option<String>,
}

/// The generator of generic intrusions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Attacker {
    /// hopscope's own: goals × stealth over the access model, entry from the internet or a
    /// phished workstation.
    #[default]
    Hopscope,
    /// Ho et al.'s (USENIX Security 2021) attacker, over the generated logins: see
    /// the `hopper` module.
    Hopper,
}

impl Attacker {
    pub const ALL: [Attacker; 2] = [Attacker::Hopscope, Attacker::Hopper];
    pub fn as_str(self) -> &'static str {
        match self {
            Attacker::Hopscope => "hopscope",
            Attacker::Hopper => "hopper",
        }
    }
    pub fn parse(s: &str) -> Option<Attacker> {
        Attacker::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Days before the first generic intrusion: one past detection's default 14-day warmup.
pub const DEFAULT_QUIET_DAYS: u32 = 15;

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            scenario: Scenario::Ntt2019,
            seed: 2019,
            scale: 1.0,
            formats: vec![OutFormat::Sshd, OutFormat::Winjson],
            intrusions: 1,
            start: None,
            end: None,
            days: None,
            quiet_days: DEFAULT_QUIET_DAYS,
            world: WorldName::Baseline,
            attacker: Attacker::Hopscope,
            log_gaps: Vec::new(),
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulation options: {0}")]
    Options(String),
    #[error("cannot write {0}")]
    Io(String),
}

/// One file written.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FileSummary {
    /// Relative to the output directory, with `/`.
    pub path: String,
    pub format: &'static str,
    pub lines: u64,
    /// Authentication events in the file (every line for sshd, winjson and LANL; the data
    /// rows for Zeek).
    pub events: u64,
}

/// Totals for one format.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FormatSummary {
    pub files: u64,
    pub events: u64,
}

/// What a run wrote.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SimSummary {
    pub scenario: &'static str,
    pub world: &'static str,
    pub attacker: &'static str,
    pub seed: u64,
    pub scale: f64,
    pub start: String,
    pub end: String,
    pub days: u32,
    pub sites: usize,
    pub hosts: usize,
    pub accounts: usize,
    pub intrusions: usize,
    /// Hopper attacks discarded (no credential switch; `truth.json` `discarded`).
    pub discarded: usize,
    pub malicious_logins: usize,
    /// Logins simulated (benign and malicious, successful and failed).
    pub logins: u64,
    /// Events written over all log files.
    pub events: u64,
    pub per_format: BTreeMap<&'static str, FormatSummary>,
    /// Windows event lines by event id (4624, 4625, 4634, 4648, 4672, 4768, 4769, 4776, 7045,
    /// and 1102 for a Security log cleared in a [`LogGap`]).
    pub windows_event_ids: BTreeMap<u16, u64>,
    /// sshd lines by kind (`auth`, `invalid-user`, `session-opened`, `session-closed`).
    pub sshd_lines: BTreeMap<&'static str, u64>,
    /// Every log file, sorted by path.
    pub files: Vec<FileSummary>,
}

/// Simulate into `out_dir` (created if missing): `hosts.csv`, `sites.csv`, `data.csv`,
/// `truth.json` and the logs of the chosen formats. Same options, same bytes.
pub fn simulate(opts: &SimOptions, out_dir: &Path) -> Result<SimSummary, SimError> {
    let formats: Vec<OutFormat> = {
        let mut f = opts.formats.clone();
        f.sort();
        f.dedup();
        f
    };
    if formats.is_empty() {
        return Err(SimError::Options("no output format chosen".into()));
    }
    let built = scenarios::build(opts)?;
    let w = &built.world;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| SimError::Io(format!("{}: {e}", out_dir.display())))?;
    // LANL time 0: midnight UTC the day before the first day, so that eastern sites'
    // first local morning (the previous UTC day) is still positive
    let lanl_start = (w.first_day() - 1) * 86_400;
    inventory::write(w, &built.data, out_dir)?;
    let mut truth = truth::build(
        w,
        &built.intrusions,
        &built.data,
        opts.scenario.as_str(),
        opts.scale,
        lanl_start,
    );
    if opts.attacker != Attacker::Hopscope {
        truth.attacker = Some(opts.attacker.as_str());
    }
    truth.discarded = built
        .discarded
        .iter()
        .map(|d| truth::DiscardedTruth {
            id: d.id,
            goal: d.goal.as_str(),
            stealth: d.stealth.as_str(),
            hops: d.hops,
            reason: format!(
                "no start of {} switched to a second user's credentials",
                hopper::ATTEMPTS
            ),
        })
        .collect();
    let text = serde_json::to_string_pretty(&truth).expect("truth serialises") + "\n";
    let tp = out_dir.join("truth.json");
    std::fs::write(&tp, text).map_err(|e| SimError::Io(format!("{}: {e}", tp.display())))?;
    let mut gaps = Vec::new();
    for g in &opts.log_gaps {
        let host = w.fleet.by_name(&g.host).ok_or_else(|| {
            SimError::Options(format!("log gap: no host {:?} in the simulated fleet", g.host))
        })?;
        if g.to.is_some_and(|to| to <= g.from) {
            return Err(SimError::Options(format!(
                "log gap on {}: it ends before it begins",
                g.host
            )));
        }
        gaps.push(emit::Gap {
            host,
            from: g.from,
            to: g.to.unwrap_or(i64::MAX),
            cleared_by: g.cleared_by.clone(),
        });
    }
    let emitted = emit::run(w, &built.intrusions, &formats, out_dir, lanl_start, &gaps)?;
    Ok(summarise(opts, &built, &truth, emitted))
}

fn summarise(
    opts: &SimOptions,
    built: &scenarios::Built,
    truth: &truth::Truth,
    emitted: emit::Emitted,
) -> SimSummary {
    use writers::Kind;
    let w = &built.world;
    let mut per_format: BTreeMap<&'static str, FormatSummary> = BTreeMap::new();
    let mut ids: BTreeMap<u16, u64> = BTreeMap::new();
    let mut sshd: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut files = Vec::new();
    for s in emitted.sinks.iter().filter(|s| s.lines > 0) {
        let events = s.lines;
        let e = per_format.entry(s.format.as_str()).or_default();
        e.files += 1;
        e.events += events;
        let k = |kind: Kind| s.by_kind[kind as usize];
        for (id, n) in [
            (4624u16, 0u64),
            (4634, k(Kind::Win4634)),
            (4648, k(Kind::Win4648)),
            (4672, k(Kind::Win4672)),
            (4768, k(Kind::Win4768)),
            (4769, k(Kind::Win4769)),
            (4776, k(Kind::Win4776)),
            (7045, k(Kind::Win7045)),
            (1102, s.cleared),
        ] {
            if n > 0 {
                *ids.entry(id).or_default() += n;
            }
        }
        for (name, kind) in [
            ("auth", Kind::SshAuth),
            ("invalid-user", Kind::SshInvalidUser),
            ("session-opened", Kind::SshSessionOpened),
            ("session-closed", Kind::SshSessionClosed),
        ] {
            if k(kind) > 0 {
                *sshd.entry(name).or_default() += k(kind);
            }
        }
        files.push(FileSummary {
            path: s.rel.clone(),
            format: s.format.as_str(),
            lines: s.lines,
            events,
        });
    }
    // 4624 and 4625 share a record kind; the split is counted from the logins' outcomes
    let logons: u64 = emitted.sinks.iter().map(|s| s.by_kind[Kind::WinLogon as usize]).sum();
    let failed = emitted.sinks.iter().map(|s| s.failed_logons).sum::<u64>();
    if logons > 0 {
        ids.insert(4624, logons - failed);
        if failed > 0 {
            ids.insert(4625, failed);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let events = per_format.values().map(|f| f.events).sum();
    SimSummary {
        scenario: opts.scenario.as_str(),
        world: opts.world.as_str(),
        attacker: opts.attacker.as_str(),
        seed: opts.seed,
        scale: opts.scale,
        start: truth.start.clone(),
        end: truth.end.clone(),
        days: w.cal.days,
        sites: w.fleet.sites.len(),
        hosts: w.fleet.hosts.len(),
        accounts: w.people.accounts.len(),
        intrusions: built.intrusions.len(),
        discarded: built.discarded.len(),
        malicious_logins: built.intrusions.iter().map(|i| i.logins.len()).sum(),
        logins: emitted.logins,
        events,
        per_format,
        windows_event_ids: ids,
        sshd_lines: sshd,
        files,
    }
}
