//! Recognising a format from content, so users need not say what they are giving us.

use crate::format::Format;

/// Guess the format of a file from its first (decompressed) bytes. Looks at up to the first
/// 50 non-empty lines; `None` when nothing matches.
pub fn detect(head: &[u8]) -> Option<Format> {
    if head.starts_with(crate::windows::evtx::MAGIC) {
        return Some(Format::Evtx);
    }
    // zip archives are read only as Windows JSON (the OTRF datasets ship as zips)
    if head.starts_with(crate::windows::winjson::ZIP_MAGIC) {
        return Some(Format::Winjson);
    }
    // binary login records: a btmp is told from a wtmp only by its name (`detect_named`)
    if crate::linux::utmp::looks_like(head) {
        return Some(Format::Wtmp);
    }
    let text = String::from_utf8_lossy(head);
    let mut lines = text
        .split(['\n', '\r'])
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .peekable();
    let first = *lines.peek()?;

    if first.starts_with('{') || first.starts_with('[') || first.starts_with("Record ") {
        return detect_json(first)
            .or_else(|| crate::zeek::looks_like(&[first]).then_some(Format::Zeek))
            .or_else(|| crate::windows::winjson::looks_like(&text).then_some(Format::Winjson));
    }
    if is_normalized_csv_header(first) {
        return Some(Format::Csv);
    }
    let sample: Vec<&str> = lines.collect();
    if crate::zeek::looks_like(&sample) {
        return Some(Format::Zeek);
    }
    // half the sampled lines must match: damaged lines must not hide a format
    let most = |f: fn(&str) -> bool| {
        let n = sample.iter().filter(|l| f(l)).count();
        n > 0 && n * 2 >= sample.len()
    };
    if most(is_lanl_auth) {
        return Some(Format::Lanl);
    }
    if most(is_lanl_redteam) {
        return Some(Format::LanlRedteam);
    }
    if most(crate::linux::audit::looks_like) {
        return Some(Format::Audit);
    }
    let syslog = sample.iter().filter(|l| crate::sshd::looks_like_syslog(l)).count();
    if syslog * 2 >= sample.len() && syslog > 0 {
        return Some(Format::Sshd);
    }
    None
}

/// [`detect`], with the file's name for what content alone cannot tell: a `btmp` holds
/// failed logins in records shaped like a wtmp's, and an empty `wtmp`/`btmp`/`utmp` is a
/// login-record file with no records (not an unrecognised file).
pub fn detect_named(path: &str, head: &[u8]) -> Option<Format> {
    use crate::linux::utmp;
    let btmp = |f| if utmp::is_btmp_name(path) { Format::Btmp } else { f };
    match detect(head) {
        Some(Format::Wtmp) => Some(btmp(Format::Wtmp)),
        // named as one, empty, or beginning with a login record (then damage further on
        // does not hide it)
        None if utmp::is_record_name(path)
            && (head.is_empty() || utmp::layout(head, None).is_some()) =>
        {
            Some(btmp(Format::Wtmp))
        }
        f => f,
    }
}

fn detect_json(first: &str) -> Option<Format> {
    let v: serde_json::Value = serde_json::from_str(first).ok()?;
    let o = v.as_object()?;
    if o.contains_key("time") && o.contains_key("dst_host") && o.contains_key("outcome") {
        return Some(Format::Jsonl);
    }
    None
}

fn is_normalized_csv_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split(',').map(|c| c.trim().trim_matches('"')).collect();
    cols.first() == Some(&"time") && cols.contains(&"dst_host") && cols.contains(&"outcome")
}

/// `1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success`
fn is_lanl_auth(line: &str) -> bool {
    let f: Vec<&str> = line.split(',').collect();
    f.len() == 9
        && f[0].bytes().all(|b| b.is_ascii_digit())
        && !f[0].is_empty()
        && matches!(f[8], "Success" | "Fail" | "?")
}

/// `151036,U748@DOM1,C17693,C728`
fn is_lanl_redteam(line: &str) -> bool {
    let f: Vec<&str> = line.split(',').collect();
    f.len() == 4
        && !f[0].is_empty()
        && f[0].bytes().all(|b| b.is_ascii_digit())
        && f[1].contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_format() {
        assert_eq!(
            detect(b"1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success\n"),
            Some(Format::Lanl)
        );
        assert_eq!(detect(b"151036,U748@DOM1,C17693,C728\n"), Some(Format::LanlRedteam));
        assert_eq!(
            detect(
                b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n"
            ),
            Some(Format::Sshd)
        );
        assert_eq!(
            detect(b"time,src_host,src_ip,dst_host,dst_ip,user,outcome\n"),
            Some(Format::Csv)
        );
        assert_eq!(
            detect(
                b"{\"time\":\"2019-01-01T00:00:00Z\",\"dst_host\":\"a\",\"outcome\":\"success\"}\n"
            ),
            Some(Format::Jsonl)
        );
        assert_eq!(detect(b"ElfFile\0\0\0"), Some(Format::Evtx));
        assert_eq!(detect(b"PK\x03\x04rest"), Some(Format::Winjson));
        assert_eq!(detect(b"{\"EventID\":4624,\"Hostname\":\"WS6\"}\n"), Some(Format::Winjson));
        assert_eq!(
            detect(b"Record 1\n{\n  \"Event\": {\n    \"System\": {}\n"),
            Some(Format::Winjson)
        );
        assert_eq!(detect(b"{\"winlog\":{\"event_id\":4624}}\n"), Some(Format::Winjson));
        assert_eq!(
            detect(b"#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n"),
            Some(Format::Zeek)
        );
        assert_eq!(
            detect(b"### BTest baseline\n#separator |\n#fields|ts|uid\n"),
            Some(Format::Zeek)
        );
        assert_eq!(
            detect(b"### BTest baseline\nts\tuid\tid.orig_h\tid.orig_p\n"),
            Some(Format::Zeek)
        );
        assert_eq!(
            detect(b"{\"ts\":1521911725.396014,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}\n"),
            Some(Format::Zeek)
        );
        assert_eq!(
            detect(
                b"{\"ts\":\"2018-03-24T17:15:25Z\",\"uid\":\"C1\",\"id_orig_h\":\"10.0.0.1\"}\n"
            ),
            Some(Format::Zeek)
        );
        assert_eq!(detect(b"{\"ts\":1,\"id.orig_h\":\"10.0.0.1\"}\n"), None);
        assert_eq!(detect(b"{\"a\":1}\n"), None);
        assert_eq!(detect(b"hello world\n"), None);
        let damaged = b"1,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success\n2,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success\n3,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success\n4,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success\nbad line\n";
        assert_eq!(detect(damaged), Some(Format::Lanl));
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn login_records_by_content_and_name() {
        let wtmp = include_bytes!("../tests/data/linux/th-app-02/wtmp");
        let btmp = include_bytes!("../tests/data/linux/th-app-02/btmp");
        assert_eq!(detect(wtmp), Some(Format::Wtmp));
        assert_eq!(detect_named("logs/h/wtmp.1", wtmp), Some(Format::Wtmp));
        // a btmp's records are shaped like a wtmp's: only the name tells
        assert_eq!(detect(btmp), Some(Format::Wtmp));
        assert_eq!(detect_named("logs/h/btmp.1", btmp), Some(Format::Btmp));
        // empty: a login-record file by name, nothing otherwise
        assert_eq!(detect_named("logs/h/wtmp", b""), Some(Format::Wtmp));
        assert_eq!(detect_named("logs/h/btmp", b""), Some(Format::Btmp));
        assert_eq!(detect_named("logs/h/auth.log", b""), None);
        // most records damaged: only a login-record name keeps it one
        let mut damaged = wtmp.to_vec();
        for r in 1..damaged.len() / 384 {
            damaged[r * 384] = 0x63;
        }
        assert_eq!(detect(&damaged), None);
        assert_eq!(detect_named("h/wtmp", &damaged), Some(Format::Wtmp));
        // text under a login-record name is not read as records
        assert_eq!(detect_named("h/wtmp", b"opsadmin pts/0 10.30.0.3 Thu Sep 12 03:04\n"), None);
        assert_eq!(
            detect_named(
                "h/wtmp",
                b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user a from 1.2.3.4\n"
            ),
            Some(Format::Sshd)
        );
    }
}
