//! The driver: day by day, generate every actor's logins in parallel, add the intrusions'
//! logins, expand each login into the records every output file gets, sort them by
//! (file, time) and render each file's share in parallel.
//!
//! Files stay in time order although sessions cross midnight: records after the day's cut
//! (UTC midnight minus 14 h, before which no later day can write) are carried to the next
//! day. Memory is bounded by one day of logins plus a buffer per file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::background::{actors, generate};
use crate::fleet::Os;
use crate::intrusion::Intrusion;
use crate::login::{flag, Login, Method, Src};
use crate::timefmt::{DAY, US};
use crate::world::World;
use crate::writers::{self, zeek::Log, Ctx, Kind, Rec};
use crate::{OutFormat, SimError};

/// What one output file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Sshd(u32),
    Winjson(u32),
    Lanl,
    Zeek(u16, Log),
}

/// One output file being written.
#[derive(Debug)]
pub struct Sink {
    pub kind: FileKind,
    /// Path relative to the output directory, with `/`.
    pub rel: String,
    pub path: PathBuf,
    pub format: OutFormat,
    buf: Vec<u8>,
    created: bool,
    pub lines: u64,
    /// Lines per event kind (Windows event ids, sshd line kinds, ...), for the summary.
    pub by_kind: [u64; Kind::COUNT],
    pub first: i64,
    pub last: i64,
    record: u64,
    pub out_of_order: u64,
    /// 4625 lines (failed Windows logons).
    pub failed_logons: u64,
    /// A Security log clearing still to write: (time, account, the host's FQDN).
    clear: Option<(i64, String, String)>,
    /// 1102 lines written.
    pub cleared: u64,
    pub error: Option<String>,
}

const FLUSH: usize = 1 << 20;

impl Sink {
    fn new(kind: FileKind, rel: String, out: &Path, format: OutFormat) -> Sink {
        Sink {
            kind,
            path: out.join(&rel),
            rel,
            format,
            buf: Vec::new(),
            created: false,
            lines: 0,
            by_kind: [0; Kind::COUNT],
            first: i64::MAX,
            last: i64::MIN,
            record: 0,
            out_of_order: 0,
            failed_logons: 0,
            clear: None,
            cleared: 0,
            error: None,
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() || self.error.is_some() {
            return;
        }
        let res = (|| -> std::io::Result<()> {
            if !self.created {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            let mut f = OpenOptions::new()
                .create(true)
                .write(true)
                .append(self.created)
                .truncate(!self.created)
                .open(&self.path)?;
            f.write_all(&self.buf)?;
            Ok(())
        })();
        self.created = true;
        self.buf.clear();
        if let Err(e) = res {
            self.error = Some(format!("{}: {e}", self.path.display()));
        }
    }

    fn write(&mut self, ctx: &Ctx<'_>, recs: &[Rec], logins: &[Login]) {
        if let Some((t, ..)) = self.clear {
            let k = recs.partition_point(|r| r.time < t);
            if k < recs.len() {
                self.write_recs(ctx, &recs[..k], logins);
                self.write_clear();
                self.write_recs(ctx, &recs[k..], logins);
                return;
            }
        }
        self.write_recs(ctx, recs, logins);
    }

    /// The 1102 this file's host writes when its Security log is cleared.
    fn write_clear(&mut self) {
        let Some((t, account, fqdn)) = self.clear.take() else { return };
        if self.lines == 0 {
            self.first = t;
        }
        self.record += 1;
        writers::winjson::render_cleared(&fqdn, t, &account, self.record, &mut self.buf);
        self.lines += 1;
        self.cleared += 1;
        self.last = t;
    }

    fn write_recs(&mut self, ctx: &Ctx<'_>, recs: &[Rec], logins: &[Login]) {
        if recs.is_empty() {
            return;
        }
        if recs[0].time < self.last {
            self.out_of_order += 1;
        }
        if self.lines == 0 {
            self.first = recs[0].time;
            if let FileKind::Zeek(_, log) = self.kind {
                writers::zeek::header(log, recs[0].time, &mut self.buf);
            }
        }
        match self.kind {
            FileKind::Sshd(h) => writers::sshd::render(ctx, h, recs, logins, &mut self.buf),
            FileKind::Winjson(h) => {
                writers::winjson::render(ctx, h, recs, logins, &mut self.record, &mut self.buf)
            }
            FileKind::Lanl => writers::lanl::render(ctx, recs, logins, &mut self.buf),
            FileKind::Zeek(_, log) => writers::zeek::render(ctx, log, recs, logins, &mut self.buf),
        }
        for r in recs {
            self.by_kind[r.kind as usize] += 1;
            if r.kind == Kind::WinLogon && !logins[r.login as usize].ok {
                self.failed_logons += 1;
            }
        }
        self.lines += recs.len() as u64;
        self.last = recs[recs.len() - 1].time;
        if self.buf.len() >= FLUSH {
            self.flush();
        }
    }

    fn finish(&mut self) {
        self.write_clear();
        if self.lines == 0 {
            return;
        }
        if let FileKind::Zeek(..) = self.kind {
            writers::zeek::trailer(self.last, &mut self.buf);
        }
        self.flush();
        // ingest infers a syslog year from the mtime: make it the last line's time
        if self.error.is_none() {
            let t =
                std::time::UNIX_EPOCH + std::time::Duration::from_micros(self.last.max(0) as u64);
            if let Err(e) =
                File::options().write(true).open(&self.path).and_then(|f| f.set_modified(t))
            {
                self.error =
                    Some(format!("{}: setting the modification time: {e}", self.path.display()));
            }
        }
    }
}

/// Which file each host and site writes to, per format.
struct Files {
    sinks: Vec<Sink>,
    sshd: Vec<Option<u32>>,
    win: Vec<Option<u32>>,
    lanl: Option<u32>,
    zeek: Vec<Option<(u32, u32)>>,
}

impl Files {
    fn new(w: &World, formats: &[OutFormat], out: &Path) -> Files {
        let mut f = Files {
            sinks: Vec::new(),
            sshd: vec![None; w.fleet.hosts.len()],
            win: vec![None; w.fleet.hosts.len()],
            lanl: None,
            zeek: vec![None; w.fleet.sites.len()],
        };
        let add = |sinks: &mut Vec<Sink>, kind, rel: String, fmt| {
            sinks.push(Sink::new(kind, rel, out, fmt));
            sinks.len() as u32 - 1
        };
        for h in w.fleet.ids() {
            let host = w.fleet.host(h);
            if host.os == Os::Linux && formats.contains(&OutFormat::Sshd) {
                f.sshd[h as usize] = Some(add(
                    &mut f.sinks,
                    FileKind::Sshd(h),
                    format!("logs/linux/{}/auth.log", host.name),
                    OutFormat::Sshd,
                ));
            }
            if host.os == Os::Windows && formats.contains(&OutFormat::Winjson) {
                f.win[h as usize] = Some(add(
                    &mut f.sinks,
                    FileKind::Winjson(h),
                    format!("logs/windows/{}.jsonl", host.name),
                    OutFormat::Winjson,
                ));
            }
        }
        if formats.contains(&OutFormat::Lanl) {
            f.lanl =
                Some(add(&mut f.sinks, FileKind::Lanl, "lanl/auth.txt".into(), OutFormat::Lanl));
        }
        if formats.contains(&OutFormat::Zeek) {
            for (s, site) in w.fleet.sites.iter().enumerate() {
                let c = add(
                    &mut f.sinks,
                    FileKind::Zeek(s as u16, Log::Conn),
                    format!("zeek/{}/conn.log", site.name),
                    OutFormat::Zeek,
                );
                let x = add(
                    &mut f.sinks,
                    FileKind::Zeek(s as u16, Log::Ssh),
                    format!("zeek/{}/ssh.log", site.name),
                    OutFormat::Zeek,
                );
                f.zeek[s] = Some((c, x));
            }
        }
        f
    }

    /// The records one login causes, in every file that sees it.
    fn expand(&self, w: &World, l: &Login, idx: u32, out: &mut Vec<Rec>) {
        let mut rec = |file: Option<u32>, time: i64, kind: Kind| {
            if let Some(file) = file {
                out.push(Rec { file, time, login: idx, kind });
            }
        };
        let dst = w.fleet.host(l.dst);
        let t = l.time;
        let end = t + l.duration as i64 * US;
        let ms = 1000;
        if dst.os == Os::Linux {
            let f = self.sshd[l.dst as usize];
            if l.has(flag::INVALID_USER) {
                rec(f, t - 1500 * ms, Kind::SshInvalidUser);
            }
            rec(f, t, Kind::SshAuth);
            if l.ok {
                rec(f, t, Kind::SshSessionOpened);
                rec(f, end.max(t + US), Kind::SshSessionClosed);
                if sudo(w, l) {
                    let at = sudo_time(w, l);
                    rec(f, at, Kind::SudoCommand);
                    rec(f, at, Kind::SudoSession);
                }
            }
        } else {
            let f = self.win[l.dst as usize];
            let acct = w.people.get(l.account);
            if acct.privileged && l.ok {
                rec(f, t, Kind::Win4672);
            }
            rec(f, t, Kind::WinLogon);
            if l.ok && l.duration > 0 {
                rec(f, end, Kind::Win4634);
            }
            if l.has(flag::SERVICE_INSTALL) && l.ok {
                rec(f, t + 2 * US + 317 * ms, Kind::Win7045);
            }
            if let Src::Host(s) = l.src {
                if l.has(flag::EXPLICIT) && w.is_windows(s) {
                    rec(self.win[s as usize], t - 300 * ms, Kind::Win4648);
                }
            }
            if acct.domain.is_some() {
                let src_site = match l.src {
                    Src::Host(s) => w.fleet.host(s).site as usize,
                    _ => dst.site as usize,
                };
                if l.method.uses_kerberos() {
                    let dc = w.dc_for(src_site).and_then(|d| self.win[d as usize]);
                    if l.has(flag::TGT) {
                        rec(dc, t - 700 * ms, Kind::Win4768);
                    }
                    rec(dc, t - 400 * ms, Kind::Win4769);
                } else if l.method == Method::NetworkNtlm {
                    let dc = w.dc_for(dst.site as usize).and_then(|d| self.win[d as usize]);
                    rec(dc, t - 200 * ms, Kind::Win4776);
                }
            }
        }
        rec(self.lanl, t, Kind::LanlLogOn);
        if l.ok && l.duration > 0 && self.lanl.is_some() {
            rec(self.lanl, end, Kind::LanlLogOff);
        }
        if l.src != Src::Local && dst.role.is_server() {
            if let Some((conn, ssh)) = self.zeek[dst.site as usize] {
                rec(Some(conn), t, Kind::ZeekConn);
                if l.method.is_ssh() {
                    rec(Some(ssh), t, Kind::ZeekSsh);
                }
            }
        }
    }
}

/// Whether a successful login into a Linux host is followed by `sudo` to root there: the
/// intrusions say so themselves ([`flag::SUDO`]); of the background's SSH logins by a person's
/// own account, one in three (drawn from the login's id, not from any random stream, so
/// nothing else of the run changes).
pub(crate) fn sudo(w: &World, l: &Login) -> bool {
    if l.has(flag::SUDO) {
        return true;
    }
    !l.has(flag::MALICIOUS)
        && l.method.is_ssh()
        && w.people.get(l.account).kind == crate::people::AccountKind::User
        && crate::rng::key(w.seed, crate::rng::Stream::Ids, l.time as u64 ^ l.account as u64, 90)
            .is_multiple_of(3)
}

/// When the `sudo` after login `l` happens: the shell is up and the admin types `sudo -i`, 6 to
/// 40 s after the login, within its session. Drawn from the login's time and account (as the
/// truth knows them), not from any random stream.
pub(crate) fn sudo_time(w: &World, l: &Login) -> i64 {
    let k = crate::rng::key(w.seed, crate::rng::Stream::Ids, l.time as u64 ^ l.account as u64, 91);
    let at = l.time + (6_000 + k % 34_000) as i64 * 1000;
    at.min(l.time + (l.duration as i64 * US).max(US) - 1)
}

/// A period in which a host's own log files get no lines ([`crate::LogGap`], resolved).
pub struct Gap {
    pub host: u32,
    pub from: i64,
    /// Exclusive; `i64::MAX` for the end of the simulation.
    pub to: i64,
    pub cleared_by: Option<String>,
}

/// What the run wrote.
pub struct Emitted {
    pub sinks: Vec<Sink>,
    pub logins: u64,
}

/// Generate and write everything.
pub fn run(
    w: &World,
    intrusions: &[Intrusion],
    formats: &[OutFormat],
    out: &Path,
    lanl_start: i64,
    gaps: &[Gap],
) -> Result<Emitted, SimError> {
    let ctx = Ctx::new(w, lanl_start);
    let mut files = Files::new(w, formats, out);
    // the files a gap silences, and the clearings they begin with
    let mut silenced: Vec<(u32, i64, i64)> = Vec::new();
    for g in gaps {
        for f in [files.sshd[g.host as usize], files.win[g.host as usize]].into_iter().flatten() {
            silenced.push((f, g.from, g.to));
        }
        if let (Some(f), Some(by)) = (files.win[g.host as usize], &g.cleared_by) {
            files.sinks[f as usize].clear =
                Some((g.from, by.clone(), ctx.fqdn[g.host as usize].clone()));
        }
    }
    let actors = actors(w);
    let days = w.cal.days;
    let first = w.first_day();
    let cut = |d: u32| (first + d as i64 + 1) * DAY * US - 14 * 3600 * US;
    // malicious logins, by the day whose chunk writes them (a minute of margin for the
    // records a login writes just before itself)
    let mut planted: Vec<Vec<Login>> = vec![Vec::new(); days as usize];
    for i in intrusions {
        for m in &i.logins {
            let d = (0..days).find(|&d| m.login.time - 60 * US < cut(d)).unwrap_or(days - 1);
            planted[d as usize].push(m.login);
        }
    }
    let mut carry_logins: Vec<Login> = Vec::new();
    let mut carry_recs: Vec<Rec> = Vec::new();
    let mut total = 0u64;
    for day in 0..days {
        let mut logins = std::mem::take(&mut carry_logins);
        let base = logins.len();
        let generated: Vec<Vec<Login>> = actors
            .par_iter()
            .with_min_len(16)
            .map(|&a| {
                let mut v = Vec::new();
                generate(w, a, day, &mut v);
                v
            })
            .collect();
        for v in generated {
            logins.extend(v);
        }
        logins.extend(planted[day as usize].iter().copied());
        for (k, l) in logins[base..].iter_mut().enumerate() {
            l.uid = ((day as u64) << 32) | k as u64;
        }
        total += (logins.len() - base) as u64;
        let mut recs = std::mem::take(&mut carry_recs);
        let fresh: Vec<Vec<Rec>> = logins[base..]
            .par_chunks(4096)
            .enumerate()
            .map(|(c, chunk)| {
                let mut v = Vec::with_capacity(chunk.len() * 4);
                for (k, l) in chunk.iter().enumerate() {
                    files.expand(w, l, (base + c * 4096 + k) as u32, &mut v);
                }
                v
            })
            .collect();
        for v in fresh {
            recs.extend(v);
        }
        let limit = if day + 1 == days { i64::MAX } else { cut(day) };
        // carry what belongs after the cut, with the logins it needs
        let (now, later): (Vec<Rec>, Vec<Rec>) = recs.into_iter().partition(|r| r.time < limit);
        let mut recs = now;
        if !silenced.is_empty() {
            recs.retain(|r| {
                !silenced.iter().any(|&(f, from, to)| r.file == f && r.time >= from && r.time < to)
            });
        }
        let mut remap: std::collections::BTreeMap<u32, u32> = std::collections::BTreeMap::new();
        for mut r in later {
            let next = remap.len() as u32;
            let id = *remap.entry(r.login).or_insert_with(|| {
                carry_logins.push(logins[r.login as usize]);
                next
            });
            r.login = id;
            carry_recs.push(r);
        }
        recs.par_sort_unstable();
        let mut ranges = vec![(0usize, 0usize); files.sinks.len()];
        let mut i = 0;
        while i < recs.len() {
            let f = recs[i].file as usize;
            let mut j = i;
            while j < recs.len() && recs[j].file as usize == f {
                j += 1;
            }
            ranges[f] = (i, j);
            i = j;
        }
        files
            .sinks
            .par_iter_mut()
            .zip(ranges.par_iter())
            .for_each(|(sink, &(a, b))| sink.write(&ctx, &recs[a..b], &logins));
        if let Some(e) = files.sinks.iter().find_map(|s| s.error.clone()) {
            return Err(SimError::Io(e));
        }
    }
    files.sinks.par_iter_mut().for_each(Sink::finish);
    if let Some(e) = files.sinks.iter().find_map(|s| s.error.clone()) {
        return Err(SimError::Io(e));
    }
    debug_assert!(
        files.sinks.iter().all(|s| s.out_of_order == 0),
        "a file got records out of time order"
    );
    Ok(Emitted { sinks: files.sinks, logins: total })
}
