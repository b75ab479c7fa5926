//! LANL 2015 "Comprehensive, Multi-Source Cyber-Security Events": `auth.txt` and
//! `redteam.txt`.
//!
//! `auth.txt`: `time,source user@domain,destination user@domain,source computer,destination
//! computer,authentication type,logon type,authentication orientation,success/failure`,
//! `?` for a missing value, time in seconds from 1 (anchored at `--lanl-start`).
//! `redteam.txt`: `time,user@domain,source computer,destination computer`.

use hopscope_model::{LogonType, Orientation, Outcome, Position, Time};

use crate::batch::{BatchBuilder, KeyedEvent, KeyedName, NameKey, RawEvent, RawLabel};
use crate::format::{LineKind, LineParser};
use crate::problems::{LineError, ProblemKind};

/// Positions of the commas of `line`, into `out`; returns how many there are, or
/// `out.len() + 1` (and stops looking) when there are more than `out` holds. Sixteen bytes
/// at a time (an SSE2 compare) on x86_64, then eight (exact per-byte equality in a word):
/// fields are short, so one pass over the line beats a search started afresh for every comma.
fn commas(line: &[u8], out: &mut [usize]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut n = 0;
    let mut base = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // sixteen bytes at a time while there are sixteen: a compare and a mask per block
        let mut blocks = line.chunks_exact(16);
        for b in &mut blocks {
            // SAFETY: `b` is 16 readable bytes (an unaligned load is allowed); SSE2 is part
            // of every x86_64 CPU.
            let mut m = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().cast());
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8))) as u32
            };
            while m != 0 {
                if n == out.len() {
                    return n + 1;
                }
                out[n] = base + m.trailing_zeros() as usize;
                n += 1;
                m &= m - 1;
            }
            base += 16;
        }
    }
    let mut words = line[base..].chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ COMMAS;
        // high bit of each byte that was a comma
        let mut m = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        while m != 0 {
            if n == out.len() {
                return n + 1;
            }
            out[n] = base + (m.trailing_zeros() / 8) as usize;
            n += 1;
            m &= m - 1;
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == b',' {
            if n == out.len() {
                return n + 1;
            }
            out[n] = base + i;
            n += 1;
        }
    }
    n
}

/// Split on commas into exactly `N` fields without allocating.
fn fields<const N: usize>(line: &str) -> Result<[&str; N], LineError> {
    let mut cuts = [0usize; N];
    let found = commas(line.as_bytes(), &mut cuts[..N - 1]);
    split(line, found, &cuts[..N - 1])
}

/// The `N` fields of `line` given what [`commas`] found in it, with room for `N - 1`.
fn split<'a, const N: usize>(
    line: &'a str,
    found: usize,
    cuts: &[usize],
) -> Result<[&'a str; N], LineError> {
    if found > N - 1 {
        return Err(LineError::new(
            ProblemKind::BadValue,
            format!("more than {N} comma-separated fields"),
        ));
    }
    if found != N - 1 {
        return Err(LineError::new(
            ProblemKind::Truncated,
            format!("expected {N} comma-separated fields, found {}", found + 1),
        ));
    }
    let mut out = [""; N];
    let mut start = 0;
    for (field, &cut) in out.iter_mut().zip(cuts) {
        *field = &line[start..cut];
        start = cut + 1;
    }
    out[N - 1] = &line[start..];
    Ok(out)
}

fn time(start: Time, s: &str) -> Result<Time, LineError> {
    let secs = match digits(s.as_bytes()) {
        Some(n) => n,
        None => s.parse().map_err(|_| {
            LineError::new(
                ProblemKind::BadTime,
                format!("expected seconds as an integer, found {s:?}"),
            )
        })?,
    };
    let t = Time(start.0.saturating_add(secs.saturating_mul(1_000_000)));
    // labels too: a time past year 9999 is damaged, not clamped
    crate::batch::writable(t)?;
    Ok(t)
}

/// The value of 1 to 18 ASCII digits (no overflow possible), the usual LANL time; `None`
/// for anything else, left to `str::parse` (signs, longer numbers, errors).
#[inline]
fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    s.iter().try_fold(0i64, |n, &b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
}

/// `U147@DOM1` → (`U147`, `DOM1`); `?` → nothing.
fn user_domain(s: &str) -> (Option<&str>, Option<&str>) {
    if s == "?" || s.is_empty() {
        return (None, None);
    }
    // a short field: a plain backward scan beats a vectorised search
    match s.bytes().rposition(|b| b == b'@') {
        Some(i) => (Some(&s[..i]), Some(&s[i + 1..]).filter(|d| !d.is_empty() && *d != "?")),
        None => (Some(s), None),
    }
}

fn opt(s: &str) -> Option<&str> {
    (s != "?" && !s.is_empty()).then_some(s)
}

fn logon_type(s: &str) -> Result<LogonType, LineError> {
    Ok(match s {
        "?" | "" => LogonType::Unknown,
        "Network" => LogonType::Network,
        "Service" => LogonType::Service,
        "Batch" => LogonType::Batch,
        "Interactive" => LogonType::Interactive,
        "RemoteInteractive" => LogonType::RemoteInteractive,
        "NetworkCleartext" => LogonType::NetworkCleartext,
        "NewCredentials" => LogonType::NewCredentials,
        "CachedInteractive" => LogonType::CachedInteractive,
        "Unlock" => LogonType::Unlock,
        other => LogonType::parse(other).ok_or_else(|| {
            LineError::new(ProblemKind::BadValue, format!("unknown logon type {other:?}"))
        })?,
    })
}

fn orientation(s: &str) -> Result<Orientation, LineError> {
    Ok(match s {
        "LogOn" => Orientation::LogOn,
        "LogOff" => Orientation::LogOff,
        "TGS" => Orientation::Tgs,
        "TGT" => Orientation::Tgt,
        "AuthMap" => Orientation::AuthMap,
        "?" | "" => Orientation::Unknown,
        other => {
            return Err(LineError::new(
                ProblemKind::BadValue,
                format!("unknown orientation {other:?}"),
            ))
        }
    })
}

fn outcome(s: &str) -> Result<Outcome, LineError> {
    Ok(match s {
        "Success" => Outcome::Success,
        "Fail" => Outcome::Failure,
        "?" | "" => Outcome::Unknown,
        other => {
            return Err(LineError::new(ProblemKind::BadValue, format!("unknown outcome {other:?}")))
        }
    })
}

/// Parser of `auth.txt`.
///
/// Its [`LineParser::hint`] parses each line a few lines ahead of [`LineParser::parse_line`]:
/// when the line is plain (nine fields, a time in digits, known codes, names without
/// surrounding spaces and short enough to pack) it keys the line's names ([`NameKey`]),
/// prefetches their table slots, and keeps what it found for `parse_line`, which then only
/// looks the names up. Any other line is parsed by `parse_line` from its text, which also
/// gives the reasons of bad lines: both ways give the same events.
pub struct AuthParser {
    start: Time,
    /// Lines prepared by the hint, oldest first: a ring of [`SEEN`] slots from `head`.
    seen: Box<[Seen; SEEN]>,
    head: usize,
    queued: usize,
}

/// A hinted line: its address and length, and what the hint made of it (when `plain`; other
/// lines are left to `parse_line`).
#[derive(Clone, Copy, Default)]
struct Seen {
    at: usize,
    len: usize,
    plain: bool,
    line: Prepared,
}

/// A plain line, parsed by the hint: offsets into the line for the names.
#[derive(Clone, Copy, Default)]
struct Prepared {
    secs: i64,
    src_host: Option<Name>,
    dst_host: Option<Name>,
    user: Option<Name>,
    src_user: Option<Name>,
    auth: Option<Name>,
    logon_type: LogonType,
    orientation: Orientation,
    outcome: Outcome,
}

/// A name in a prepared line: its key and where it is (`name`, and `domain` for an
/// account's, as `(start, end)` offsets; an empty domain is none).
#[derive(Clone, Copy, Default)]
struct Name {
    key: NameKey,
    name: (u32, u32),
    domain: (u32, u32),
}

impl Name {
    fn get<'a>(&self, line: &'a str) -> Option<KeyedName<'a>> {
        let (d0, d1) = self.domain;
        Some(KeyedName {
            key: self.key,
            name: line.get(self.name.0 as usize..self.name.1 as usize)?,
            domain: if d0 == d1 { None } else { Some(line.get(d0 as usize..d1 as usize)?) },
        })
    }
}

/// Hinted lines kept: more than the pipeline looks ahead.
const SEEN: usize = 16;

/// What a field of a plain line holds: nothing (empty, `?`, `-`: as [`BatchBuilder`] reads
/// them), or a value whose first and last bytes are visible ASCII (so that trimming would
/// not change it). `Err` for anything else: not a plain line.
#[inline(always)]
fn plain(s: &[u8]) -> Result<Option<&[u8]>, ()> {
    let visible = |c: u8| c > b' ' && c < 0x80;
    match s {
        [] | [b'?'] | [b'-'] => Ok(None),
        [first, .., last] if visible(*first) && visible(*last) => Ok(Some(s)),
        [only] if visible(*only) => Ok(Some(s)),
        _ => Err(()),
    }
}

/// Offsets of `part` (a slice of `line`) in `line`.
#[inline(always)]
fn span(line: &[u8], part: &[u8]) -> (u32, u32) {
    let at = (part.as_ptr() as usize - line.as_ptr() as usize) as u32;
    (at, at + part.len() as u32)
}

/// A host name field of a plain line.
#[inline(always)]
fn host_name(line: &[u8], s: &[u8]) -> Result<Option<Name>, ()> {
    let Some(s) = plain(s)? else { return Ok(None) };
    let name = span(line, s);
    let key = NameKey::host_in(line, name.0 as usize, s.len()).ok_or(())?;
    Ok(Some(Name { key, name, domain: (0, 0) }))
}

/// An account field (`user@domain`) of a plain line, as [`user_domain`] and
/// [`BatchBuilder`] read it.
#[inline(always)]
fn account_name(line: &[u8], s: &[u8]) -> Result<Option<Name>, ()> {
    if s == b"?" || s.is_empty() {
        return Ok(None);
    }
    let (name, domain) = match s.iter().rposition(|&b| b == b'@') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &s[s.len()..]),
    };
    let Some(name) = plain(name)? else { return Ok(None) };
    let domain = plain(domain)?.unwrap_or(&[]);
    let domain = if domain.is_empty() { (0, 0) } else { span(line, domain) };
    let name = span(line, name);
    let (n, m) = ((name.1 - name.0) as usize, (domain.1 - domain.0) as usize);
    let key = NameKey::account_in(line, name.0 as usize, n, (domain.0 as usize, m)).ok_or(())?;
    Ok(Some(Name { key, name, domain }))
}

/// The line parsed into `p`, when it is plain (see [`AuthParser`]); `Err` otherwise (and `p`
/// is left half written).
#[inline(always)]
fn prepare(line: &[u8], p: &mut Prepared) -> Result<(), ()> {
    let mut cuts = [0usize; 8];
    if commas(line, &mut cuts) != 8 {
        return Err(());
    }
    let mut field = [line; 9];
    let mut from = 0;
    for (f, &cut) in field.iter_mut().zip(&cuts) {
        *f = &line[from..cut];
        from = cut + 1;
    }
    field[8] = &line[from..];
    let secs = digits(field[0]).ok_or(())?;
    let logon_type = match field[6] {
        b"?" | b"" => LogonType::Unknown,
        b"Network" => LogonType::Network,
        b"Service" => LogonType::Service,
        b"Batch" => LogonType::Batch,
        b"Interactive" => LogonType::Interactive,
        b"RemoteInteractive" => LogonType::RemoteInteractive,
        b"NetworkCleartext" => LogonType::NetworkCleartext,
        b"NewCredentials" => LogonType::NewCredentials,
        b"CachedInteractive" => LogonType::CachedInteractive,
        b"Unlock" => LogonType::Unlock,
        _ => return Err(()),
    };
    let orientation = match field[7] {
        b"LogOn" => Orientation::LogOn,
        b"LogOff" => Orientation::LogOff,
        b"TGS" => Orientation::Tgs,
        b"TGT" => Orientation::Tgt,
        b"AuthMap" => Orientation::AuthMap,
        b"?" | b"" => Orientation::Unknown,
        _ => return Err(()),
    };
    let outcome = match field[8] {
        b"Success" => Outcome::Success,
        b"Fail" => Outcome::Failure,
        b"?" | b"" => Outcome::Unknown,
        _ => return Err(()),
    };
    p.secs = secs;
    (p.logon_type, p.orientation, p.outcome) = (logon_type, orientation, outcome);
    p.src_user = account_name(line, field[1])?;
    p.user = account_name(line, field[2])?;
    p.src_host = host_name(line, field[3])?;
    p.dst_host = host_name(line, field[4])?;
    // an authentication package is keyed as a host name is
    p.auth = host_name(line, field[5])?;
    Ok(())
}

impl AuthParser {
    pub fn new(start: Time) -> AuthParser {
        AuthParser { start, seen: Box::new([Seen::default(); SEEN]), head: 0, queued: 0 }
    }

    /// Where the hint left what it made of `line`, if it saw it: the same bytes (same
    /// address and length; the pipeline does not change a chunk's bytes between the hint and
    /// the parse) and a plain line.
    #[inline]
    fn prepared(&mut self, line: &str) -> Option<usize> {
        let at = line.as_ptr() as usize;
        while self.queued > 0 {
            let i = self.head;
            self.head = (self.head + 1) % SEEN;
            self.queued -= 1;
            let s = &self.seen[i];
            if s.at == at {
                return (s.plain && s.len == line.len()).then_some(i);
            }
        }
        None
    }

    /// A line the hint did not prepare: split and read from its text, with reasons for
    /// what is wrong with it.
    fn parse_text(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        let [t, src_user, dst_user, src, dst, auth, lt, orient, result] = fields::<9>(line)?;
        let (src_user, src_domain) = user_domain(src_user);
        let (user, domain) = user_domain(dst_user);
        let ev = RawEvent {
            time: time(self.start, t)?,
            src_host: opt(src),
            dst_host: opt(dst),
            user,
            domain,
            src_user,
            src_domain,
            auth: opt(auth),
            logon_type: logon_type(lt)?,
            orientation: orientation(orient)?,
            outcome: outcome(result)?,
            ..Default::default()
        };
        out.push(&ev, Position::Line(line_no))?;
        Ok(LineKind::Event)
    }
}

impl LineParser for AuthParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        if line.is_empty() {
            return Ok(LineKind::Ignored);
        }
        let Some(i) = self.prepared(line) else {
            return self.parse_text(line, line_no, out);
        };
        let p = &self.seen[i].line;
        let name = |n: &Option<Name>| n.as_ref().map(|n| n.get(line));
        let (src_host, dst_host, user, src_user) =
            (name(&p.src_host), name(&p.dst_host), name(&p.user), name(&p.src_user));
        let auth = name(&p.auth);
        // offsets made from these very bytes are on character boundaries (next to ASCII
        // bytes); should one not be, the text is read the ordinary way
        if [src_host, dst_host, user, src_user, auth].iter().any(|n| matches!(n, Some(None))) {
            return self.parse_text(line, line_no, out);
        }
        let ev = KeyedEvent {
            time: Time(self.start.0.saturating_add(p.secs.saturating_mul(1_000_000))),
            src_host: src_host.flatten(),
            dst_host: dst_host.flatten(),
            user: user.flatten(),
            src_user: src_user.flatten(),
            auth: auth.flatten(),
            logon_type: p.logon_type,
            orientation: p.orientation,
            outcome: p.outcome,
        };
        out.push_keyed(&ev, Position::Line(line_no))?;
        Ok(LineKind::Event)
    }

    fn hints(&self) -> bool {
        true
    }

    /// Parse a line a few lines before `parse_line` sees it (see [`AuthParser`]), and
    /// prefetch the table slots of its names.
    fn hint(&mut self, line: &[u8], out: &BatchBuilder) {
        if self.queued == SEEN {
            self.head = (self.head + 1) % SEEN;
            self.queued -= 1;
        }
        let seen = &mut self.seen[(self.head + self.queued) % SEEN];
        self.queued += 1;
        (seen.at, seen.len) = (line.as_ptr() as usize, line.len());
        seen.plain = prepare(line, &mut seen.line).is_ok();
        if seen.plain {
            let p = &seen.line;
            let key = |n: &Option<Name>| n.as_ref().map(|n| n.key);
            if let Some(u) = &p.user {
                out.prefetch_account(&u.key);
            }
            if let Some(u) = p.src_user.as_ref().filter(|u| Some(u.key) != key(&p.user)) {
                out.prefetch_account(&u.key);
            }
            if let Some(h) = &p.src_host {
                out.prefetch_host(&h.key);
            }
            if let Some(h) = p.dst_host.as_ref().filter(|h| Some(h.key) != key(&p.src_host)) {
                out.prefetch_host(&h.key);
            }
        }
    }
}

/// Parser of `redteam.txt`: every line is a label "redteam".
pub struct RedteamParser {
    start: Time,
}

impl RedteamParser {
    pub fn new(start: Time) -> RedteamParser {
        RedteamParser { start }
    }
}

impl LineParser for RedteamParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        if line.is_empty() {
            return Ok(LineKind::Ignored);
        }
        let [t, user, src, dst] = fields::<4>(line)?;
        let (name, domain) = user_domain(user);
        let label = RawLabel {
            time: time(self.start, t)?,
            user: out.account_id(name, domain),
            src_host: out.host_id(opt(src)),
            dst_host: out.host_id(opt(dst)),
            label: "redteam".into(),
            source: 0,
            position: Position::Line(line_no),
        };
        out.push_label(label);
        Ok(LineKind::Event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_model::{Catalog, Inventory, SourceFormat};

    fn parse(lines: &[&str]) -> (crate::batch::Batch, Vec<Result<LineKind, LineError>>) {
        let mut b = BatchBuilder::new(SourceFormat::Lanl);
        let mut p = AuthParser::new(Time(0));
        let r =
            lines.iter().enumerate().map(|(i, l)| p.parse_line(l, i as u64 + 1, &mut b)).collect();
        (b.finish(), r)
    }

    #[test]
    fn documented_examples() {
        let (mut batch, r) = parse(&[
            "1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success",
            "2,ANONYMOUS LOGON@C586,ANONYMOUS LOGON@C586,C1250,C586,NTLM,Network,LogOn,Success",
            "3,C1021$@DOM1,C1021$@DOM1,C1021,C625,Kerberos,Network,LogOn,Success",
            "4,U22@DOM1,U22@DOM1,C1065,C1065,?,?,TGS,Success",
            "5,C3050$@DOM1,C3050$@DOM1,C3050,C529,Kerberos,?,TGT,Fail",
            "6,?,?,?,C586,?,?,AuthMap,?",
        ]);
        assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
        let mut cat = Catalog::default();
        let (t, _) = crate::batch::absorb(&mut batch, &mut cat, &Inventory::default(), 1, 0);
        assert_eq!(t.len(), 6);
        let e0 = t.get(0);
        assert_eq!(e0.time, Time::from_unix_secs(1));
        assert_eq!(cat.accounts.get(e0.src_user).unwrap().display(), "C625$@DOM1");
        assert!(cat.accounts.get(e0.src_user).unwrap().is_machine());
        assert_eq!(cat.accounts.get(e0.user).unwrap().name, "U147");
        assert_eq!(e0.logon_type, LogonType::Batch);
        assert_eq!(e0.src_host, e0.dst_host);
        assert_eq!(cat.accounts.get(t.get(1).user).unwrap().display(), "ANONYMOUS LOGON@C586");
        assert_eq!(t.get(3).orientation, Orientation::Tgs);
        assert_eq!(t.get(3).auth, 0);
        assert_eq!(t.get(3).logon_type, LogonType::Unknown);
        assert_eq!((t.get(4).orientation, t.get(4).outcome), (Orientation::Tgt, Outcome::Failure));
        let e5 = t.get(5);
        assert_eq!((e5.user, e5.src_user, e5.src_host, e5.outcome), (0, 0, 0, Outcome::Unknown));
        assert_eq!(cat.hosts.name(e5.dst_host), Some("C586"));
        assert_eq!(e5.evidence.position, Position::Line(6));
    }

    #[test]
    fn bad_lines_have_reasons() {
        let (_, r) = parse(&[
            "1,U1@D,U1@D,C1,C2,NTLM,Network,LogOn",
            "x,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success",
            "1,U1@D,U1@D,C1,C2,NTLM,Teleport,LogOn,Success",
            "1,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success,extra",
            "1,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Maybe",
        ]);
        let kinds: Vec<ProblemKind> = r.into_iter().map(|r| r.unwrap_err().kind).collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::Truncated,
                ProblemKind::BadTime,
                ProblemKind::BadValue,
                ProblemKind::BadValue,
                ProblemKind::BadValue
            ]
        );
    }

    #[test]
    fn redteam_labels() {
        let mut b = BatchBuilder::new(SourceFormat::Lanl);
        let mut p = RedteamParser::new(Time::from_unix_secs(100));
        p.parse_line("151036,U748@DOM1,C17693,C728", 1, &mut b).unwrap();
        assert!(p.parse_line("151036,U748@DOM1,C17693", 2, &mut b).is_err());
        let mut batch = b.finish();
        let mut cat = Catalog::default();
        let (_, labels) = crate::batch::absorb(&mut batch, &mut cat, &Inventory::default(), 1, 0);
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0].time, Time::from_unix_secs(151136));
        assert_eq!(cat.hosts.name(labels[0].dst_host), Some("C728"));
    }

    /// Parse `lines` as the pipeline does, each shown to the hint `ahead` lines before it is
    /// parsed (or never, for `None`): the batch's events and names, and each line's result.
    fn parse_hinted(lines: &[&str], ahead: Option<usize>) -> (String, Vec<String>) {
        let mut b = BatchBuilder::new(SourceFormat::Lanl);
        let mut p = AuthParser::new(Time(0));
        let mut results = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some(ahead) = ahead {
                let from = if i == 0 { 0 } else { i + ahead };
                for l in lines.iter().take(i + ahead + 1).skip(from) {
                    p.hint(l.as_bytes(), &b);
                }
            }
            // the pipeline parses a line without its `\r`
            let line = line.strip_suffix('\r').unwrap_or(line);
            results.push(format!("{:?}", p.parse_line(line, i as u64 + 1, &mut b)));
        }
        let batch = b.finish();
        let seen = format!(
            "{:?} {:?} {:?} {:?}",
            batch.events, batch.host_names, batch.accounts, batch.auths
        );
        (seen, results)
    }

    proptest::proptest! {
        /// Lines prepared by the hint give exactly what lines read from their text give:
        /// the same events, names in the same order, the same errors.
        #[test]
        fn hinted_lines_parse_as_unhinted(
            fields in proptest::collection::vec(proptest::collection::vec(0usize..14, 9..11), 1..12),
            ahead in 0usize..10,
        ) {
            const TIME: [&str; 14] = ["1", "007", "x", "", "-3", "99999999999999999999", "12", "1 ", "+4", "5", "6", "7", "8", "9"];
            const ACCOUNT: [&str; 14] = [
                "U1@DOM1", "?", "", "@D", " U1@D", "U1@", "U1@?", "U1@-", "-", "C1$@DOM1",
                "ANONYMOUS LOGON@C586", "ünï@D", "averyveryverylongusername@DOMAIN1", "U1@ D",
            ];
            const HOST: [&str; 14] =
                ["C1", "?", "-", "", " C2", "C2 ", "Cé", "averyverylonghostnamehere1234", "C1", "C2", "é", "C\u{1}", "x", "C3"];
            const AUTH: [&str; 14] = ["NTLM", "?", "", " NTLM", "-", "Kerberos", "N", "NTLM", "?", "é", "x y", "Negotiate", "", "-"];
            const LOGON: [&str; 14] = [
                "Network", "?", "", "NetworkCleartexx", "Interactivf", "network", "Batch", "Unlock", "Service", "Interactive",
                "RemoteInteractive", "NewCredentials", "CachedInteractive", "NetworkCleartext",
            ];
            const ORIENT: [&str; 14] = ["LogOn", "LogOff", "TGS", "TGT", "AuthMap", "?", "", "x", "LogOn", "LogOn", "TGX", "TGT", "logon", "AuthMaq"];
            const OUTCOME: [&str; 14] =
                ["Success", "Fail", "?", "", "Maybe", "Success\r", "Fail\r", "Success", "Success", "Fail", "x", "Success", "?", "Success"];
            let columns: [&[&str; 14]; 9] = [&TIME, &ACCOUNT, &ACCOUNT, &HOST, &HOST, &AUTH, &LOGON, &ORIENT, &OUTCOME];
            let text: Vec<String> = fields
                .iter()
                .map(|f| f.iter().enumerate().map(|(i, &v)| columns[i.min(8)][v]).collect::<Vec<_>>().join(","))
                .collect();
            // one buffer, as a chunk: each line at an address of its own
            let joined = text.join("\n");
            let lines: Vec<&str> = joined.split('\n').collect();
            proptest::prop_assert_eq!(parse_hinted(&lines, Some(ahead)), parse_hinted(&lines, None));
        }

        /// The word-at-a-time comma search finds what a byte-by-byte one finds.
        #[test]
        fn commas_are_found_exactly(line in proptest::collection::vec(proptest::sample::select(vec![b',', b'a', b'\xac', b'\x2d', b'\x00', b'\xff']), 0..70), cap in 0usize..12) {
            let all: Vec<usize> = line.iter().enumerate().filter(|(_, &b)| b == b',').map(|(i, _)| i).collect();
            let mut out = vec![0usize; cap];
            let n = commas(&line, &mut out);
            if all.len() > cap {
                proptest::prop_assert_eq!(n, cap + 1);
                proptest::prop_assert_eq!(&out[..], &all[..cap]);
            } else {
                proptest::prop_assert_eq!(n, all.len());
                proptest::prop_assert_eq!(&out[..n], &all[..]);
            }
        }

        #[test]
        fn times_parse_as_str_parse(s in "[+-]?[0-9]{0,22}|[0-9 x]{0,4}") {
            let fast = time(Time(0), &s).ok();
            // a time RFC 3339 cannot write is a problem, not a clamped time
            let slow = s
                .parse::<i64>()
                .ok()
                .map(|n| Time(n.saturating_mul(1_000_000)))
                .filter(|t| t.is_writable());
            proptest::prop_assert_eq!(fast, slow);
        }

        #[test]
        fn never_panics(line in "\\PC{0,200}") {
            let mut b = BatchBuilder::new(SourceFormat::Lanl);
            let _ = AuthParser::new(Time(0)).parse_line(&line, 1, &mut b);
            let _ = RedteamParser::new(Time(0)).parse_line(&line, 1, &mut b);
        }

        #[test]
        fn well_formed_lines_parse(t in 0u32..10_000_000, u in "[A-Z][0-9]{1,5}\\$?", c1 in "C[0-9]{1,5}", c2 in "C[0-9]{1,5}") {
            let line = format!("{t},{u}@DOM1,{u}@DOM1,{c1},{c2},Kerberos,Network,LogOn,Success");
            let mut b = BatchBuilder::new(SourceFormat::Lanl);
            proptest::prop_assert!(AuthParser::new(Time(0)).parse_line(&line, 1, &mut b).is_ok());
        }
    }
}
