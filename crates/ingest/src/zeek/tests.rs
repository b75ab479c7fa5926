//! Whole-file behaviour of [`ZeekParser`]: header handling, log-type choice, problems.

use hopscope_model::{EventFlags, Outcome, SourceFormat};
use proptest::prelude::*;

use super::*;
use crate::batch::Batch;

/// Feed `text` line by line as the pipeline does; the batch, plus (line, kind) of problems.
fn parse(path: &str, text: &str) -> (Batch, Vec<(u64, ProblemKind)>) {
    let mut p = ZeekParser::new(&ParseContext { path: path.into(), ..Default::default() });
    let mut b = BatchBuilder::new(SourceFormat::Zeek);
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        b.count_line();
        match p.parse_line(line, n, &mut b) {
            Ok(LineKind::Event) => {}
            Ok(LineKind::Ignored) => b.count_ignored(),
            Err(e) => b.problem(Position::Line(n), e),
        }
    }
    p.finish(&mut b);
    let batch = b.finish();
    let problems = batch
        .problems
        .iter()
        .map(|(p, e)| (if let Position::Line(n) = p { *n } else { 0 }, e.kind))
        .collect();
    (batch, problems)
}

const SSH_HEADER: &str = "#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tssh
#open\t2024-04-12-19-29-44
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success\tauth_attempts
#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tbool\tcount";

#[test]
fn tsv_ssh_rows_with_trailer() {
    let text = format!(
        "{SSH_HEADER}
1521911799.739898\tC2\t10.0.0.227\t59849\t10.47.8.50\t22\t2\tT\t3
1521911800.000001\tC3\t10.0.0.227\t59850\t10.47.8.51\t22\t2\tF\t1
XXXXXXXXXX.XXXXXX\tC4\t10.0.0.227\t59851\t10.47.8.52\t22\t2\t-\t0
1521911801.5\tC5\t10.0.0.227\t59852\t10.47.8.53\t22\t2\t-
#close\t2024-04-12-19-34-07
"
    );
    let (b, problems) = parse("x/ssh.log", &text);
    assert_eq!(b.events.len(), 2);
    assert_eq!(b.events.position, vec![9, 10]);
    assert_eq!(b.events.outcome, vec![Outcome::Success as u8, Outcome::Failure as u8]);
    assert_eq!(problems, vec![(11, ProblemKind::BadTime), (12, ProblemKind::Truncated)]);
    assert_eq!(b.ignored, 9); // 8 header lines and #close
    assert!(
        b.notes.iter().any(|n| n.contains("2 connections, 4 authentication attempts")
            && n.contains("1 with more than one")),
        "{:?}",
        b.notes
    );
}

#[test]
fn header_changes_mid_file_and_path_beats_file_name() {
    // concatenated logs: an ssh block, then an rdp block with other columns, then dns
    let text = format!(
        "{SSH_HEADER}
1521911799.739898\tC2\t10.0.0.227\t59849\t10.47.8.50\t22\t2\t-\t0
#close\t2024
#separator \\x09
#path\trdp
#fields\tts\tid.orig_h\tid.resp_h\tcookie\tresult
1521911800.0\t10.0.0.1\t10.0.0.2\tCORP\\\\alice\tSuccess
#path\tdns
#fields\tts\tid.orig_h\tid.resp_h\tquery
1521911801.0\t10.0.0.1\t10.0.0.53\texample.org
"
    );
    let (b, problems) = parse("whatever/conn.log", &text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(b.events.len(), 2);
    assert_eq!(b.auths, vec!["ssh".to_string(), "rdp".to_string()]);
    assert_eq!(b.events.flags[0], EventFlags::NETWORK_ONLY.0);
    assert_eq!(b.accounts, vec![("alice".to_string(), Some("CORP".to_string()))]);
    assert_eq!(b.events.src_user[1], 1);
    assert!(b.notes.iter().any(|n| n.contains("dns log")), "{:?}", b.notes);
}

#[test]
fn log_type_from_file_name_then_fields() {
    let rows = "#fields\tts\tid.orig_h\tid.resp_h\tauth_success\n1.0\t10.0.0.1\t10.0.0.2\tT\n";
    let (b, _) = parse("logs/ssh.2024-01-01.log", rows);
    assert_eq!(b.auths, vec!["ssh".to_string()]);
    let (b, _) = parse("capture.txt", rows); // the field set says ssh
    assert_eq!(b.auths, vec!["ssh".to_string()]);
    let (b, _) = parse(
        "capture.txt",
        "#fields\tts\tid.orig_h\tid.resp_h\tfoo\n1.0\t10.0.0.1\t10.0.0.2\tx\n",
    );
    assert_eq!((b.events.len(), b.ignored, b.problems.len()), (0, 2, 0));
    assert!(b.notes.iter().any(|n| n.contains("unknown type")));
}

#[test]
fn data_before_any_header_is_a_problem_bare_names_are_a_header() {
    let (b, problems) = parse("ssh.log", "1.0|1.2.3.4|2.3.4.5\n");
    assert_eq!((b.events.len(), problems), (0, vec![(1, ProblemKind::UnrecognisedFormat)]));
    let (b, problems) = parse("kerberos.log", "ts\tuid\tid.orig_h\tid.resp_h\tclient\tsuccess\n1.0\tC1\t10.0.0.1\t10.0.0.2\tbob/EX.ORG\tT\n");
    assert!(problems.is_empty());
    assert_eq!(b.accounts, vec![("bob".to_string(), Some("EX.ORG".to_string()))]);
}

#[test]
fn json_lines_both_dialects_and_combined_streams() {
    let text = r#"{"_path":"ssh","ts":1521911799.739898,"uid":"C2","id.orig_h":"10.0.0.227","id.resp_h":"10.47.8.50","auth_success":true,"auth_attempts":1}
{"@stream":"smb_mapping","ts":"2018-03-24T17:15:21.382822Z","uid":"C4","id_orig_h":"10.128.0.233","id_resp_h":"10.47.21.25","path":"\\\\10.47.21.25\\ADMIN$"}
{"_path":"dns","ts":1.0,"uid":"C5","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.53"}
{"_path":"conn","ts":1.0,"uid":"C6","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","conn_state":"SF"}
not json
{"_path":"rdp","ts":1.0}
"#;
    let (b, problems) = parse("stream.json", text);
    assert_eq!(b.events.len(), 2);
    assert_eq!(b.auths, vec!["ssh".to_string(), "smb".to_string()]);
    assert_eq!(b.events.flags[1], EventFlags::ADMIN_SHARE.0);
    assert_eq!(b.events.time[1], 1_521_911_721_382_822);
    assert_eq!(problems, vec![(5, ProblemKind::UnrecognisedFormat), (6, ProblemKind::Truncated)]);
    assert_eq!(b.ignored, 2);
}

#[test]
fn bad_addresses_and_column_counts_are_located() {
    let text =
        "#path\tconn\n#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\tproto\tconn_state\thistory\n\
                1.0\tnot-an-ip\t10.0.0.2\t22\ttcp\tSF\tShADadFf\n\
                1.0\t10.0.0.1\t10.0.0.2\t22\ttcp\tSF\tShADadFf\textra\n\
                1.0\t10.0.0.1\t10.0.0.2\t22\ttcp\tSF\tShADadFf\n";
    let (b, problems) = parse("conn.log", text);
    assert_eq!(problems, vec![(3, ProblemKind::BadAddress), (4, ProblemKind::BadValue)]);
    assert_eq!(b.events.len(), 1);
}

fn zeekish_line() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("-".to_string()),
        Just("(empty)".to_string()),
        Just("T".to_string()),
        Just("F".to_string()),
        Just("XXXXXXXXXX.XXXXXX".to_string()),
        Just("1521911799.739898".to_string()),
        Just("10.0.0.1".to_string()),
        Just("fe80::1%eth0".to_string()),
        Just("\\\\\\\\HOST\\\\ADMIN$".to_string()),
        Just("\\x09\\xff\\x".to_string()),
        Just("22".to_string()),
        Just("SF".to_string()),
        Just("svcctl".to_string()),
        Just("CreateServiceW".to_string()),
        "[a-z_.]{1,12}",
        ".{0,12}",
    ];
    let sep = prop_oneof![Just("\t"), Just("|"), Just("||"), Just(",")];
    let kind = prop_oneof![
        Just("#fields"),
        Just("#path"),
        Just("#separator"),
        Just("#unset_field"),
        Just("#empty_field"),
        Just(""),
        Just(""),
        Just(""),
    ];
    (kind, sep, prop::collection::vec(token, 0..10)).prop_map(|(k, sep, toks)| {
        let body = toks.join(sep);
        match k {
            "" => body,
            "#separator" => format!("#separator {}", if sep == "\t" { "\\x09" } else { sep }),
            k => format!("{k}{sep}{body}"),
        }
    })
}

fn json_line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "_path",
        "@stream",
        "ts",
        "uid",
        "id.orig_h",
        "id_orig_h",
        "id.resp_h",
        "id_resp_h",
        "id.resp_p",
        "proto",
        "conn_state",
        "history",
        "auth_success",
        "auth_attempts",
        "cookie",
        "result",
        "username",
        "domainname",
        "hostname",
        "success",
        "client",
        "request_type",
        "path",
        "endpoint",
        "operation",
        "x",
    ]);
    let val = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("[1,\"a\"]".to_string()),
        Just("{\"a\":{}}".to_string()),
        Just("1521911799.739898".to_string()),
        Just("-1e300".to_string()),
        Just("\"2018-03-24T17:15:21.382822Z\"".to_string()),
        prop::sample::select(vec![
            "ssh",
            "rdp",
            "conn",
            "ntlm",
            "kerberos",
            "smb_mapping",
            "dce_rpc",
            "dns",
            "10.0.0.1",
            "::1",
            "22",
            "SF",
            "svcctl",
            "T",
            "a/B/C",
            "\\\\\\\\h\\\\C$"
        ])
        .prop_map(|s| format!("\"{s}\"")),
        ".{0,10}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    prop::collection::vec((key, val), 0..12).prop_map(|kv| {
        let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    })
}

proptest! {
    #[test]
    fn tsv_parser_never_panics(lines in prop::collection::vec(zeekish_line(), 0..20), name in prop::sample::select(vec!["conn.log", "ssh.log", "x", "dce_rpc.log", "smb_mapping.log", "rdp.log", "ntlm.log", "kerberos.log"])) {
        let text = lines.join("\n");
        let (b, problems) = parse(name, &text);
        prop_assert!(b.events.len() + problems.len() + b.ignored as usize == text.lines().count());
    }

    #[test]
    fn json_parser_never_panics(lines in prop::collection::vec(json_line(), 0..20), name in prop::sample::select(vec!["conn.json", "x.json", "ssh.json.gz"])) {
        let text = lines.join("\n");
        let (b, problems) = parse(name, &text);
        prop_assert!(b.events.len() + problems.len() + b.ignored as usize == text.lines().count());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse("conn.log", &text);
        let _ = parse("x", &format!("{{{text}"));
    }
}
