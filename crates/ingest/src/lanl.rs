//! LANL 2015 "Comprehensive, Multi-Source Cyber-Security Events": `auth.txt` and
//! `redteam.txt`.
//!
//! `auth.txt`: `time,source user@domain,destination user@domain,source computer,destination
//! computer,authentication type,logon type,authentication orientation,success/failure`,
//! `?` for a missing value, time in seconds from 1 (anchored at `--lanl-start`).
//! `redteam.txt`: `time,user@domain,source computer,destination computer`.

use hopscope_model::{LogonType, Orientation, Outcome, Position, Time};

use crate::batch::{BatchBuilder, RawEvent, RawLabel};
use crate::format::{LineKind, LineParser};
use crate::problems::{LineError, ProblemKind};

/// Positions of the commas of `line`, into `out`; returns how many there are, or
/// `out.len() + 1` (and stops looking) when there are more than `out` holds. Eight bytes at a
/// time (exact per-byte equality in a word): fields are short, so one pass over the line
/// beats a vectorised search started afresh for every comma.
fn commas(line: &[u8], out: &mut [usize]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut n = 0;
    let mut words = line.chunks_exact(8);
    let mut base = 0;
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
fn split<'a, const N: usize>(line: &'a str, found: usize, cuts: &[usize]) -> Result<[&'a str; N], LineError> {
    if found > N - 1 {
        return Err(LineError::new(ProblemKind::BadValue, format!("more than {N} comma-separated fields")));
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
    let secs = match digits(s) {
        Some(n) => n,
        None => s
            .parse()
            .map_err(|_| LineError::new(ProblemKind::BadTime, format!("expected seconds as an integer, found {s:?}")))?,
    };
    Ok(Time(start.0.saturating_add(secs.saturating_mul(1_000_000))))
}

/// The value of 1 to 18 ASCII digits (no overflow possible), the usual LANL time; `None`
/// for anything else, left to `str::parse` (signs, longer numbers, errors).
#[inline]
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    s.bytes().try_fold(0i64, |n, b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
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
        other => LogonType::parse(other)
            .ok_or_else(|| LineError::new(ProblemKind::BadValue, format!("unknown logon type {other:?}")))?,
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
        other => return Err(LineError::new(ProblemKind::BadValue, format!("unknown orientation {other:?}"))),
    })
}

fn outcome(s: &str) -> Result<Outcome, LineError> {
    Ok(match s {
        "Success" => Outcome::Success,
        "Fail" => Outcome::Failure,
        "?" | "" => Outcome::Unknown,
        other => return Err(LineError::new(ProblemKind::BadValue, format!("unknown outcome {other:?}"))),
    })
}

/// Parser of `auth.txt`.
pub struct AuthParser {
    start: Time,
    /// The commas [`LineParser::hint`] found in the lines it saw, oldest first, for
    /// `parse_line` to use instead of searching again.
    seen: std::collections::VecDeque<Seen>,
}

/// A hinted line (its address and length) and what [`commas`] found in it.
struct Seen {
    at: usize,
    len: usize,
    found: usize,
    cuts: [usize; 8],
}

/// Hinted lines kept: more than the pipeline looks ahead.
const SEEN: usize = 32;

impl AuthParser {
    pub fn new(start: Time) -> AuthParser {
        AuthParser { start, seen: std::collections::VecDeque::with_capacity(SEEN) }
    }

    /// What the hint found in `line`, if it saw it: the same bytes (same address, the same
    /// length or one more, for a `\r` removed since), and every cut still on a comma.
    fn seen(&mut self, line: &str) -> Option<(usize, [usize; 8])> {
        let at = line.as_ptr() as usize;
        while let Some(s) = self.seen.pop_front() {
            if s.at == at {
                let b = line.as_bytes();
                let ok = (s.len == b.len() || s.len == b.len() + 1)
                    && s.cuts[..s.found.min(8)].iter().all(|&c| b.get(c) == Some(&b','));
                return ok.then_some((s.found, s.cuts));
            }
        }
        None
    }
}

impl LineParser for AuthParser {
    fn parse_line(&mut self, line: &str, line_no: u64, out: &mut BatchBuilder) -> Result<LineKind, LineError> {
        if line.is_empty() {
            return Ok(LineKind::Ignored);
        }
        let [t, src_user, dst_user, src, dst, auth, lt, orient, result] = match self.seen(line) {
            Some((found, cuts)) => split::<9>(line, found, &cuts)?,
            None => fields::<9>(line)?,
        };
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

    fn hints(&self) -> bool {
        true
    }

    /// Prefetch the accounts and hosts of a line parsed a few lines later.
    fn hint(&mut self, line: &[u8], out: &BatchBuilder) {
        let mut cuts = [0usize; 8];
        let found = commas(line, &mut cuts);
        if self.seen.len() == SEEN {
            self.seen.pop_front();
        }
        self.seen.push_back(Seen { at: line.as_ptr() as usize, len: line.len(), found, cuts });
        if found < 5 {
            return;
        }
        let [a, b, c, d, e, ..] = cuts;
        let (src_user, dst_user) = (&line[a + 1..b], &line[b + 1..c]);
        let (src, dst) = (&line[c + 1..d], &line[d + 1..e]);
        let (name, domain) = user_domain_bytes(dst_user);
        out.hint_account(name, domain);
        if src_user != dst_user {
            let (name, domain) = user_domain_bytes(src_user);
            out.hint_account(name, domain);
        }
        out.hint_host(src);
        if dst != src {
            out.hint_host(dst);
        }
    }
}

/// `U147@DOM1` → (`U147`, `DOM1`) as bytes, as [`user_domain`] splits it (a domain of
/// `""`: none).
fn user_domain_bytes(s: &[u8]) -> (&[u8], &[u8]) {
    match s.iter().rposition(|&b| b == b'@') {
        Some(i) => {
            let d = &s[i + 1..];
            (&s[..i], if d == b"?" { b"" } else { d })
        }
        None => (s, b""),
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
    fn parse_line(&mut self, line: &str, line_no: u64, out: &mut BatchBuilder) -> Result<LineKind, LineError> {
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
        let r = lines.iter().enumerate().map(|(i, l)| p.parse_line(l, i as u64 + 1, &mut b)).collect();
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
            [ProblemKind::Truncated, ProblemKind::BadTime, ProblemKind::BadValue, ProblemKind::BadValue, ProblemKind::BadValue]
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

    proptest::proptest! {
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
            let slow = s.parse::<i64>().ok().map(|n| Time(n.saturating_mul(1_000_000)));
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
