//! `wtmp`, `utmp` and `btmp`: glibc's binary login records, one fixed-size `struct utmp`
//! after another.
//!
//! The record layouts come from the `utmp-raw` crate (`x32::utmp`, 384 bytes: x86, x86-64,
//! arm, riscv, ...; `x64::utmp`, 400 bytes: aarch64, s390x, whose time and session fields
//! are 64-bit). `utmp-rs`, built on it, is not used to decode: it leaves out the remote
//! address (`ut_addr_v6`), rejects a whole record for one byte of a name that is not UTF-8
//! (a name an attacker typed must not hide a failed login), and decodes only in the reading
//! machine's byte order. So the fields are decoded here, in the file's own byte order.
//!
//! Which layout and byte order a file has is told from its first records: the one under
//! which they read as sane records (a known type, microseconds below one million, a plausible
//! time) wins, the file's size breaking ties. A record that cannot be read is a counted
//! problem naming the record number and its byte offset, and the file is read on.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hopscope_model::{EventFlags, LogonType, Orientation, Outcome, Position, SourceFormat, Time};
use zerocopy_07::FromBytes;

use crate::batch::{Batch, BatchBuilder, RawEvent};
use crate::format::ParseContext;
use crate::problems::{LineError, ProblemKind};

/// `ut_type` values (glibc `<bits/utmp.h>`).
pub const EMPTY: i16 = 0;
pub const RUN_LVL: i16 = 1;
pub const BOOT_TIME: i16 = 2;
pub const NEW_TIME: i16 = 3;
pub const OLD_TIME: i16 = 4;
pub const INIT_PROCESS: i16 = 5;
pub const LOGIN_PROCESS: i16 = 6;
pub const USER_PROCESS: i16 = 7;
pub const DEAD_PROCESS: i16 = 8;
pub const ACCOUNTING: i16 = 9;

/// Size of a record in the 32-bit-time layout.
pub const SIZE_32: usize = std::mem::size_of::<utmp_raw::x32::utmp>();
/// Size of a record in the 64-bit-time layout.
pub const SIZE_64: usize = std::mem::size_of::<utmp_raw::x64::utmp>();

/// 1980-01-01 and 2100-01-01: the times a real login record holds (for telling the layout).
const PLAUSIBLE: std::ops::Range<i64> = 315_532_800..4_102_444_800;

/// How a file's records are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// 384-byte records, 32-bit `ut_session` and `ut_tv`.
    Bits32 { big_endian: bool },
    /// 400-byte records, 64-bit `ut_session` and `ut_tv`.
    Bits64 { big_endian: bool },
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Bits32 { big_endian: false },
        Layout::Bits64 { big_endian: false },
        Layout::Bits32 { big_endian: true },
        Layout::Bits64 { big_endian: true },
    ];
    pub fn size(self) -> usize {
        match self {
            Layout::Bits32 { .. } => SIZE_32,
            Layout::Bits64 { .. } => SIZE_64,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Layout::Bits32 { big_endian: false } => "32-bit little-endian (384-byte records)",
            Layout::Bits64 { big_endian: false } => "64-bit little-endian (400-byte records)",
            Layout::Bits32 { big_endian: true } => "32-bit big-endian (384-byte records)",
            Layout::Bits64 { big_endian: true } => "64-bit big-endian (400-byte records)",
        }
    }
}

/// One record's fields, decoded. Names are cut at their first NUL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub kind: i16,
    pub pid: i32,
    pub line: &'a [u8],
    pub user: &'a [u8],
    pub host: &'a [u8],
    pub sec: i64,
    pub usec: i64,
    /// `ut_addr_v6` as stored: network byte order; an IPv4 address in the first four bytes.
    pub addr: [u8; 16],
}

fn cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// Decode one record of `layout` (`bytes` is exactly one record long). The name fields are
/// borrowed from `bytes`, at the offsets the `utmp-raw` layout gives.
pub fn decode(bytes: &[u8], layout: Layout) -> Option<Record<'_>> {
    // offsets of the name fields: the same in both layouts
    const LINE: std::ops::Range<usize> = 8..40;
    const USER: std::ops::Range<usize> = 44..76;
    const HOST: std::ops::Range<usize> = 76..332;
    // the bytes of `ut_addr_v6` as stored (network order), whatever the machine's byte order
    let stored = |words: [i32; 4]| {
        let mut addr = [0u8; 16];
        for (k, w) in words.iter().enumerate() {
            addr[k * 4..k * 4 + 4].copy_from_slice(&w.to_ne_bytes());
        }
        addr
    };
    let (kind, pid, sec, usec, addr) = match layout {
        Layout::Bits32 { big_endian: be } => {
            let r = utmp_raw::x32::utmp::read_from(bytes)?;
            let i16_ = |v: i16| if be { i16::from_be(v) } else { i16::from_le(v) };
            let i32_ = |v: i32| if be { i32::from_be(v) } else { i32::from_le(v) };
            let (sec, usec) = (i32_(r.ut_tv.tv_sec), i32_(r.ut_tv.tv_usec));
            (i16_(r.ut_type), i32_(r.ut_pid), i64::from(sec), i64::from(usec), stored(r.ut_addr_v6))
        }
        Layout::Bits64 { big_endian: be } => {
            let r = utmp_raw::x64::utmp::read_from(bytes)?;
            let i16_ = |v: i16| if be { i16::from_be(v) } else { i16::from_le(v) };
            let i32_ = |v: i32| if be { i32::from_be(v) } else { i32::from_le(v) };
            let i64_ = |v: i64| if be { i64::from_be(v) } else { i64::from_le(v) };
            let (sec, usec) = (i64_(r.ut_tv.tv_sec), i64_(r.ut_tv.tv_usec));
            (i16_(r.ut_type), i32_(r.ut_pid), sec, usec, stored(r.ut_addr_v6))
        }
    };
    Some(Record {
        kind,
        pid,
        line: cstr(&bytes[LINE]),
        user: cstr(&bytes[USER]),
        host: cstr(&bytes[HOST]),
        sec,
        usec,
        addr,
    })
}

impl Record<'_> {
    /// A record a real system could have written: a known type, a plausible time, names
    /// without control characters.
    fn sane(&self) -> bool {
        let text = |b: &[u8]| b.iter().all(|&c| c >= 0x20 && c != 0x7f);
        (EMPTY..=ACCOUNTING).contains(&self.kind)
            && (0..1_000_000).contains(&self.usec)
            && (self.kind == EMPTY || PLAUSIBLE.contains(&self.sec))
            && text(self.line)
            && text(self.user)
    }

    /// The remote address, when the record holds one (all zero: none).
    pub fn address(&self) -> Option<IpAddr> {
        if self.addr == [0; 16] {
            None
        } else if self.addr[4..] == [0; 12] {
            let v4: [u8; 4] = self.addr[..4].try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(v4)))
        } else {
            Some(IpAddr::V6(Ipv6Addr::from(self.addr)))
        }
    }
}

/// The layout under which the complete records at the start of `head` read best, when at
/// least the first reads as a sane, non-empty record. `len` (the whole file's size, when
/// known) breaks ties: a layout whose record size divides it is preferred.
pub fn layout(head: &[u8], len: Option<u64>) -> Option<Layout> {
    let mut best: Option<(usize, bool, Layout)> = None;
    for l in Layout::ALL {
        let size = l.size();
        let records: Vec<Record<'_>> =
            head.chunks_exact(size).take(64).filter_map(|b| decode(b, l)).collect();
        let Some(first) = records.first() else { continue };
        if !first.sane() || first.kind == EMPTY {
            continue;
        }
        let sane = records.iter().filter(|r| r.sane()).count();
        let fits = len.is_some_and(|n| n % size as u64 == 0);
        if best.is_none_or(|(s, f, _)| (sane, fits) > (s, f)) {
            best = Some((sane, fits, l));
        }
    }
    best.map(|(_, _, l)| l)
}

/// Whether `head` begins with utmp records: the first and three in four of the first 64
/// read as sane records in one layout (a damaged record must not hide the format).
pub fn looks_like(head: &[u8]) -> bool {
    let Some(l) = layout(head, None) else { return false };
    let records: Vec<Record<'_>> =
        head.chunks_exact(l.size()).take(64).filter_map(|b| decode(b, l)).collect();
    records.iter().filter(|r| r.sane()).count() * 4 >= records.len() * 3
}

/// Whether a file name is a btmp's (`btmp`, `btmp.1`, `btmp-20240101.gz`): failed logins.
pub fn is_btmp_name(path: &str) -> bool {
    file_name(path).starts_with("btmp")
}

/// Whether a file name is one of the login-record files (`wtmp`, `utmp`, `btmp`, rotated).
pub fn is_record_name(path: &str) -> bool {
    let n = file_name(path);
    ["wtmp", "utmp", "btmp"].iter().any(|p| n.starts_with(p))
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Read a whole wtmp/utmp (`btmp` false) or btmp (`btmp` true) file from `r`, sending
/// batches of at most `batch_events` events. Returns false when `send` does (the receiver
/// has gone away).
pub fn parse(
    mut r: Box<dyn Read + Send>,
    btmp: bool,
    size: Option<u64>,
    ctx: &ParseContext,
    batch_events: usize,
    send: &mut dyn FnMut(Batch, bool) -> bool,
) -> bool {
    let format = if btmp { SourceFormat::Btmp } else { SourceFormat::Wtmp };
    let what = if btmp { "btmp" } else { "wtmp" };
    let mut b = BatchBuilder::new(format);
    let dst = super::host_from_path(&ctx.path);
    b.note(super::host_note(what, dst.as_deref()));

    // the first records tell the layout
    let mut head = Vec::with_capacity(64 * SIZE_64);
    if let Err(e) = (&mut r).take(64 * SIZE_64 as u64).read_to_end(&mut head) {
        b.problem(
            Position::Record(1),
            LineError::new(ProblemKind::Unreadable, crate::input::io_message(&e)),
        );
        return send(b.finish(), true);
    }
    if head.is_empty() {
        return send(b.finish(), true);
    }
    let Some(layout) = layout(&head, size) else {
        b.count_line();
        b.problem(
            Position::Record(1),
            LineError::new(
                ProblemKind::BadRecord,
                format!(
                    "the first record is not a login record in any utmp layout ({} bytes read)",
                    head.len()
                ),
            ),
        );
        return send(b.finish(), true);
    };
    if !matches!(layout, Layout::Bits32 { big_endian: false }) {
        b.note(format!("{what} records read in the {} layout", layout.name()));
    }
    let mut reader = ReadRecords { r: std::io::Cursor::new(head).chain(r), size: layout.size() };
    let mut state = State { btmp, dst, sessions: Default::default(), lossy: 0 };
    let mut buf = vec![0u8; layout.size()];
    let mut n = 0u64;
    loop {
        let got = match reader.fill(&mut buf) {
            Ok(got) => got,
            Err(e) => {
                b.problem(
                    Position::Record(n + 1),
                    LineError::new(
                        ProblemKind::Unreadable,
                        format!("after record {n}: {}", crate::input::io_message(&e)),
                    ),
                );
                break;
            }
        };
        if got == 0 {
            break;
        }
        n += 1;
        b.count_line();
        let offset = (n - 1) * layout.size() as u64;
        if got < buf.len() {
            b.problem(
                Position::Record(n),
                LineError::new(
                    ProblemKind::Truncated,
                    format!("cut short at byte offset {offset}: {got} of {} bytes", buf.len()),
                ),
            );
            break;
        }
        if let Err(e) = state.record(&buf, layout, n, offset, &mut b) {
            b.problem(Position::Record(n), e);
        }
        if b.len() >= batch_events {
            let full = std::mem::replace(&mut b, BatchBuilder::new(format));
            if !send(full.finish(), false) {
                return false;
            }
        }
    }
    if state.lossy > 0 {
        b.note(format!(
            "{} {what} records hold names that are not UTF-8: read with U+FFFD in place of the bytes",
            state.lossy
        ));
    }
    send(b.finish(), true)
}

/// Reads whole records, telling how many bytes of the last one there were.
struct ReadRecords<R> {
    r: R,
    size: usize,
}

impl<R: Read> ReadRecords<R> {
    /// Fill `buf` (one record); the bytes read: `size`, fewer at the end, 0 after it.
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut got = 0;
        while got < self.size {
            match self.r.read(&mut buf[got..self.size]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

/// What one file's reading carries from record to record.
struct State {
    btmp: bool,
    dst: Option<String>,
    /// Open sessions by terminal line: the login's (account, host name, address), so that a
    /// logout (which names only the line) names who logged out and from where.
    sessions: std::collections::BTreeMap<Vec<u8>, (String, Option<String>, Option<IpAddr>)>,
    /// Records with names that are not UTF-8.
    lossy: u64,
}

/// At most this many open sessions are remembered (a wtmp whose logouts are missing must not
/// grow memory without bound); the oldest terminal line in name order gives way.
const MAX_SESSIONS: usize = 1 << 16;

impl State {
    fn record(
        &mut self,
        bytes: &[u8],
        layout: Layout,
        n: u64,
        offset: u64,
        b: &mut BatchBuilder,
    ) -> Result<(), LineError> {
        let at = || format!("at byte offset {offset}");
        let Some(r) = decode(bytes, layout) else {
            return Err(LineError::new(ProblemKind::BadRecord, format!("{}: unreadable", at())));
        };
        if !(EMPTY..=ACCOUNTING).contains(&r.kind) {
            return Err(LineError::new(
                ProblemKind::BadRecord,
                format!("{}: type {} is not a utmp record type", at(), r.kind),
            ));
        }
        let wanted =
            if self.btmp { r.kind != EMPTY } else { matches!(r.kind, USER_PROCESS | DEAD_PROCESS) };
        if !wanted {
            // boot, shutdown, run level, clock change, getty and accounting records
            b.count_ignored();
            return Ok(());
        }
        if !(0..1_000_000).contains(&r.usec) {
            return Err(LineError::new(
                ProblemKind::BadTime,
                format!("{}: {} microseconds is not a fraction of a second", at(), r.usec),
            ));
        }
        let time =
            r.sec.checked_mul(1_000_000).and_then(|s| s.checked_add(r.usec)).map(Time).ok_or_else(
                || {
                    LineError::new(
                        ProblemKind::BadTime,
                        format!("{}: time {} s out of range", at(), r.sec),
                    )
                },
            )?;
        let text = |v: &[u8], lossy: &mut bool| match std::str::from_utf8(v) {
            Ok(s) => s.to_string(),
            Err(_) => {
                *lossy = true;
                String::from_utf8_lossy(v).into_owned()
            }
        };
        let mut lossy = false;
        let user = text(r.user, &mut lossy);
        let host = text(r.host, &mut lossy);
        if lossy {
            self.lossy += 1;
        }
        let (name, ip) = super::peer(&host);
        let (mut name, mut ip) = (name.map(str::to_string), r.address().or(ip));
        let mut user = user;
        let (orientation, outcome) = match r.kind {
            _ if self.btmp => (Orientation::LogOn, Outcome::Failure),
            USER_PROCESS => {
                if self.sessions.len() >= MAX_SESSIONS {
                    self.sessions.pop_first();
                }
                self.sessions.insert(r.line.to_vec(), (user.clone(), name.clone(), ip));
                (Orientation::LogOn, Outcome::Success)
            }
            _ => {
                // DEAD_PROCESS: the session on this line ended; Linux clears the user name,
                // the login on the same line tells who it was and from where
                // (some systems keep the user name: then it must be the login's)
                if let Some((u, n, a)) = self.sessions.remove(r.line) {
                    if user.is_empty() || user == u {
                        user = u;
                        if name.is_none() && ip.is_none() {
                            (name, ip) = (n, a);
                        }
                    }
                }
                (Orientation::LogOff, Outcome::Unknown)
            }
        };
        let remote = name.is_some() || ip.is_some();
        let ip = ip.map(|a| a.to_string());
        let e = RawEvent {
            time,
            src_host: name.as_deref(),
            src_ip: ip.as_deref(),
            dst_host: self.dst.as_deref(),
            user: Some(&user),
            logon_type: if remote { LogonType::RemoteInteractive } else { LogonType::Interactive },
            outcome,
            orientation,
            flags: EventFlags::default(),
            ..Default::default()
        };
        b.push(&e, Position::Record(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WTMP: &[u8] = include_bytes!("../../tests/data/linux/th-app-02/wtmp");

    /// Parse `bytes` as a file at `path`: (events, problems, records, ignored).
    fn run(bytes: &[u8], path: &str, btmp: bool) -> (usize, usize, u64, u64) {
        let ctx = ParseContext { path: path.into(), ..Default::default() };
        let (mut events, mut problems, mut records, mut ignored) = (0, 0, 0, 0);
        let mut send = |b: Batch, _last: bool| {
            events += b.events.len();
            problems += b.problems.len();
            records += b.lines;
            ignored += b.ignored;
            true
        };
        parse(
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            btmp,
            Some(bytes.len() as u64),
            &ctx,
            3,
            &mut send,
        );
        (events, problems, records, ignored)
    }

    #[test]
    fn fixture_layout_and_fields() {
        assert_eq!((SIZE_32, SIZE_64), (384, 400));
        assert_eq!(
            layout(WTMP, Some(WTMP.len() as u64)),
            Some(Layout::Bits32 { big_endian: false })
        );
        let r = decode(&WTMP[5 * 384..6 * 384], Layout::Bits32 { big_endian: false }).unwrap();
        assert_eq!(
            (r.kind, r.pid, r.line, r.user, r.host),
            (USER_PROCESS, 4242, &b"pts/0"[..], &b"opsadmin"[..], &b"10.30.0.3"[..])
        );
        assert_eq!((r.sec, r.usec), (1_568_257_445, 123_456));
        assert_eq!(r.address(), Some("10.30.0.3".parse().unwrap()));
        // batches of 3 events: every record is counted once across them
        assert_eq!(run(WTMP, "h/wtmp", false), (9, 0, 13, 4));
    }

    #[test]
    fn names_that_are_not_utf8_are_kept_and_noted() {
        let mut w = WTMP[5 * 384..6 * 384].to_vec();
        w[44 + 3] = 0xff; // in the user name
        let ctx = ParseContext { path: "h/wtmp".into(), ..Default::default() };
        let mut notes = Vec::new();
        let mut users = Vec::new();
        parse(Box::new(std::io::Cursor::new(w)), false, None, &ctx, 100, &mut |b: Batch, _| {
            notes.extend(b.notes);
            users.extend(b.accounts.into_iter().map(|a| a.0));
            true
        });
        assert_eq!(users, ["ops\u{fffd}dmin"]);
        assert!(
            notes.iter().any(|n| n.starts_with("1 wtmp records hold names that are not UTF-8")),
            "{notes:?}"
        );
    }

    /// A logout that keeps the user name still takes its source from the login on its line;
    /// one naming another user does not.
    #[test]
    fn logouts_take_the_login_of_their_line() {
        let l32 = Layout::Bits32 { big_endian: false };
        let login = WTMP[5 * 384..6 * 384].to_vec(); // opsadmin on pts/0 from 10.30.0.3
        let mut logout = WTMP[11 * 384..12 * 384].to_vec(); // DEAD_PROCESS on pts/0
        assert_eq!(decode(&logout, l32).unwrap().kind, DEAD_PROCESS);
        logout[44..52].copy_from_slice(b"opsadmin");
        let mut other = logout.clone();
        other[44..52].copy_from_slice(b"someone\0");
        let ctx = ParseContext { path: "h/wtmp".into(), ..Default::default() };
        for (logout, want) in [(&logout, 1), (&other, 0)] {
            let file: Vec<u8> = [login.clone(), logout.clone()].concat();
            let mut with_source = 0;
            parse(
                Box::new(std::io::Cursor::new(file)),
                false,
                None,
                &ctx,
                100,
                &mut |b: Batch, _| {
                    with_source += (0..b.events.len())
                        .filter(|&i| {
                            b.events.orientation[i] == Orientation::LogOff as u8
                                && b.events.src_ip[i] != 0
                        })
                        .count();
                    true
                },
            );
            assert_eq!(with_source, want);
        }
    }

    #[test]
    fn names() {
        assert!(is_btmp_name("/var/log/btmp.1.gz") && is_btmp_name("x/BTMP-20240101"));
        assert!(!is_btmp_name("x/wtmp") && !is_btmp_name("btmp/wtmp"));
        assert!(
            is_record_name("a/utmp") && is_record_name("a/wtmp.1") && !is_record_name("a/auth.log")
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2000), btmp in proptest::bool::ANY) {
            let _ = run(&bytes, "h/wtmp", btmp);
            let _ = looks_like(&bytes);
        }

        /// A real file with bytes overwritten and cut anywhere: every record is counted
        /// once, as an event, an ignored record or a problem, and nothing panics.
        #[test]
        fn damaged_files_are_read_record_by_record(
            hits in proptest::collection::vec((0usize..WTMP.len(), proptest::num::u8::ANY), 0..20),
            cut in 385usize..=WTMP.len(),
        ) {
            let mut w = WTMP.to_vec();
            for (at, v) in hits {
                if at >= 384 { w[at] = v; } // keep the first record, which tells the layout
            }
            w.truncate(cut);
            let (events, problems, records, ignored) = run(&w, "h/wtmp", false);
            if layout(&w, Some(w.len() as u64)) == Some(Layout::Bits32 { big_endian: false }) {
                proptest::prop_assert_eq!(records as usize, w.len().div_ceil(384));
            }
            proptest::prop_assert_eq!(events as u64 + problems as u64 + ignored, records);
        }
    }
}
