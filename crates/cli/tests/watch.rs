//! `hopscope watch` end to end: the real binary following real files.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

/// A simulated 2019 case, small: its log directory, inventory and ingested case.
struct Sim {
    dir: tempfile::TempDir,
}

impl Sim {
    fn new() -> Sim {
        let dir = tempfile::tempdir().unwrap();
        ok(&["simulate", "--scenario", "ntt-2019", "--scale", "0.05", "--out", "sim"], dir.path());
        ok(&["ingest", "sim/logs", "--inventory", "sim", "--case", "case"], dir.path());
        Sim { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Alert event lines → (events, alerts as the events leave them in raise order).
fn fold(text: &str) -> (Vec<Value>, Vec<Value>) {
    let events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut order: Vec<String> = Vec::new();
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for e in &events {
        for gone in e["absorbed"].as_array().unwrap() {
            latest.remove(gone.as_str().unwrap());
        }
        let id = e["alert"]["id"].as_str().unwrap().to_string();
        if !order.contains(&id) {
            order.push(id.clone());
        }
        latest.insert(id, e["alert"].clone());
    }
    let alerts = order.iter().filter_map(|id| latest.get(id).cloned()).collect();
    (events, alerts)
}

#[test]
fn a_replay_gives_detects_alerts_in_raise_order() {
    let sim = Sim::new();
    let detect: Value = serde_json::from_str(&ok(
        &["detect", "--case", "case", "--budget", "0", "--json"],
        sim.path(),
    ))
    .unwrap();
    let watch =
        ok(&["watch", "sim/logs", "--inventory", "sim", "--once", "--budget", "0"], sim.path());
    let (events, alerts) = fold(&watch);
    assert!(!alerts.is_empty());
    assert!(events.iter().any(|e| e["event"] == "grew"), "the intrusion grows hop by hop");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
    }
    // same alerts, same hops, reasons and scores
    let by_id = |v: &[Value]| -> BTreeMap<String, Value> {
        v.iter().map(|a| (a["id"].as_str().unwrap().to_string(), a.clone())).collect()
    };
    let detected = by_id(detect["alerts"].as_array().unwrap());
    assert_eq!(by_id(&alerts), detected);
    // in the order they were raised
    let raised: Vec<&str> = alerts.iter().map(|a| a["raised_at"].as_str().unwrap()).collect();
    assert!(raised.windows(2).all(|w| w[0] <= w[1]), "{raised:?}");
    // the 2019 intrusion is among them, raised at its first hop out of Singapore
    assert!(alerts.iter().any(|a| a["hops"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["src_host"] == "sg-ops-03" && h["dst_host"] == "th-app-02")));
    // every alert detect reports under its default budget was notified
    let budgeted: Value =
        serde_json::from_str(&ok(&["detect", "--case", "case", "--json"], sim.path())).unwrap();
    for a in budgeted["alerts"].as_array().unwrap() {
        assert!(detected.contains_key(a["id"].as_str().unwrap()), "{}", a["id"]);
    }
    // with a budget, watch notifies at most N alerts raised on one day
    let watch5 =
        ok(&["watch", "sim/logs", "--inventory", "sim", "--once", "--budget", "1"], sim.path());
    let (events5, _) = fold(&watch5);
    let mut per_day: BTreeMap<String, usize> = BTreeMap::new();
    for e in events5.iter().filter(|e| e["event"] == "raised") {
        *per_day.entry(e["alert"]["raised_at"].as_str().unwrap()[..10].to_string()).or_default() +=
            1;
    }
    assert!(per_day.values().all(|&n| n <= 1), "{per_day:?}");
    assert!(events5.len() < events.len());
}

/// A running `hopscope watch` whose stderr lines arrive on a channel.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// Lines before this one were matched by an earlier `wait_for`.
    cursor: usize,
}

impl Watcher {
    fn spawn(args: &[&str], cwd: &Path, stdin: Stdio) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
            .arg("watch")
            .args(args)
            .current_dir(cwd)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines: rx, seen: Vec::new(), cursor: 0 }
    }

    /// Wait (up to 60 s) for a stderr line containing `text`, after the line the last wait
    /// matched.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        if let Some(i) = self.seen[self.cursor..].iter().position(|l| l.contains(text)) {
            self.cursor += i + 1;
            return;
        }
        while Instant::now() < deadline {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(50)) {
                let hit = l.contains(text);
                self.seen.push(l);
                if hit {
                    self.cursor = self.seen.len();
                    return;
                }
            }
        }
        panic!("no {text:?} on stderr within 60 s; saw:\n{}", self.seen.join("\n"));
    }

    /// Wait for the exit; returns (stdout, stderr).
    fn finish(mut self) -> (String, String) {
        let mut out = String::new();
        std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut out).unwrap();
        let status = self.child.wait().unwrap();
        self.seen.extend(self.lines.iter());
        let err = self.seen.join("\n");
        assert!(status.success(), "watch failed: {err}");
        (out, err)
    }
}

fn event_line(t: &str, src: &str, dst: &str) -> String {
    format!("{{\"time\":\"{t}\",\"src_host\":\"{src}\",\"dst_host\":\"{dst}\",\"user\":\"alice\",\"outcome\":\"success\",\"orientation\":\"logon\"}}\n")
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// "N events" from the closing summary.
fn events_read(stderr: &str) -> u64 {
    let line = stderr.lines().rev().find(|l| l.contains(" events, ")).expect("summary");
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// The simulated case exported as JSON lines, and the alert events an uninterrupted
/// `watch --once` writes for it (`once.jsonl`).
fn uninterrupted(p: &Path) -> (String, String) {
    ok(&["export", "--case", "case", "--out", "all.jsonl"], p);
    ok(
        &[
            "watch",
            "all.jsonl",
            "--inventory",
            "sim",
            "--once",
            "--budget",
            "0",
            "--alerts",
            "once.jsonl",
        ],
        p,
    );
    let expected = std::fs::read_to_string(p.join("once.jsonl")).unwrap();
    assert!(expected.lines().count() >= 3, "{expected}");
    (std::fs::read_to_string(p.join("all.jsonl")).unwrap(), expected)
}

/// Wait (up to a minute) until `path` holds `expected`.
fn wait_until_equal(path: &Path, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(path).unwrap_or_default() != expected && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Append `lines` to `live` in 40 pieces while `w` follows it; once `ready` (watch has written
/// its first alert event, and whatever else the test needs), kill it with SIGKILL and start it
/// again with `args`. Until then each piece waits for watch to catch up (a loaded machine runs
/// it slowly), the last one up to a minute. Returns the restarted watcher.
fn append_and_kill_once(
    p: &Path,
    live: &Path,
    lines: &[&str],
    mut w: Watcher,
    args: &[&str],
    ready: impl Fn() -> bool,
) -> Watcher {
    let chunks: Vec<&[&str]> = lines.chunks(lines.len().div_ceil(40)).collect();
    let mut restarted: Option<Watcher> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let mut text = chunk.join("\n");
        text.push('\n');
        append(live, &text);
        let patience = if i + 1 == chunks.len() { 60_000 } else { 300 };
        let until = Instant::now() + Duration::from_millis(patience);
        while restarted.is_none() {
            if ready() {
                w.child.kill().unwrap(); // SIGKILL: no chance to do anything on the way out
                w.child.wait().unwrap();
                restarted = Some(Watcher::spawn(args, p, Stdio::null()));
            } else if Instant::now() >= until {
                break;
            } else {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    restarted.expect("watch wrote no alert within a minute of the input ending")
}

#[test]
fn kill_9_and_restart_write_every_alert_event_exactly_once() {
    let sim = Sim::new();
    let p = sim.path();
    let (all, expected) = uninterrupted(p);
    let lines: Vec<&str> = all.lines().collect();

    // a writer appends the same lines in pieces while watch follows; watch is killed once it
    // has written its first alert event, and started again
    let live = p.join("live.jsonl");
    std::fs::write(&live, "").unwrap();
    let args = [
        "live.jsonl",
        "--inventory",
        "sim",
        "--budget",
        "0",
        "--alerts",
        "alerts.jsonl",
        "--poll",
        "20",
    ];
    let w = Watcher::spawn(&args, p, Stdio::null());
    let alerts = p.join("alerts.jsonl");
    let mut w = append_and_kill_once(p, &live, &lines, w, &args, || {
        alerts.metadata().is_ok_and(|m| m.len() > 0)
    });
    // let it catch up, then stop it the same way
    wait_until_equal(&p.join("alerts.jsonl"), &expected);
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    let got = std::fs::read_to_string(p.join("alerts.jsonl")).unwrap();
    assert_eq!(
        got, expected,
        "every alert event exactly once, as the uninterrupted run wrote them"
    );
}

/// With --state, a restart after kill -9 continues from the last checkpoint: it does not
/// read the input from its start again (it says where it resumed, and feeds fewer events than
/// the input holds), and the alerts file still equals an uninterrupted run's, every event
/// exactly once (events after the checkpoint are derived again and found already written).
#[test]
fn kill_9_and_restart_with_state_continue_from_the_checkpoint() {
    let sim = Sim::new();
    let p = sim.path();
    let (all, expected) = uninterrupted(p);
    let lines: Vec<&str> = all.lines().collect();

    let live = p.join("live.jsonl");
    std::fs::write(&live, "").unwrap();
    let args = [
        "live.jsonl",
        "--inventory",
        "sim",
        "--budget",
        "0",
        "--alerts",
        "alerts.jsonl",
        "--poll",
        "20",
        "--state",
        "state",
        "--checkpoint-every",
        "50ms",
    ];
    let w = Watcher::spawn(&args, p, Stdio::null());
    let (alerts, state) = (p.join("alerts.jsonl"), p.join("state/state.bin"));
    let ready = || alerts.metadata().is_ok_and(|m| m.len() > 0) && state.exists();
    let mut w = append_and_kill_once(p, &live, &lines, w, &args, ready);
    w.wait_for("live.jsonl: resumed from checkpoint at byte");
    let resumed =
        w.seen.iter().find(|l| l.contains("resumed from checkpoint at byte")).unwrap().clone();
    let offset: u64 = resumed
        .split("at byte ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(offset > 0, "{resumed}");
    wait_until_equal(&p.join("alerts.jsonl"), &expected);
    // a clean stop (SIGTERM) checkpoints and reports
    let term = Command::new("kill").args(["-TERM", &w.child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let (_, err) = w.finish();
    let got = std::fs::read_to_string(p.join("alerts.jsonl")).unwrap();
    assert_eq!(
        got, expected,
        "every alert event exactly once, as the uninterrupted run wrote them"
    );
    let summary = err.lines().rev().find(|l| l.contains(" events, ")).unwrap();
    let fed: u64 = summary
        .split("; ")
        .find(|part| part.contains("events fed by this run"))
        .unwrap_or_else(|| panic!("the restart fed every event again: {summary}"))
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(fed < lines.len() as u64, "{summary}");
    assert!(err.contains("stopping (signal)"), "{err}");
    // the checkpoint SIGTERM wrote: a last run reads what is left, and its counters, restored,
    // cover the whole input once; it has nothing new to write
    let out = hopscope(
        &[
            "watch",
            args[0],
            "--inventory",
            "sim",
            "--budget",
            "0",
            "--alerts",
            "alerts.jsonl",
            "--state",
            "state",
            "--once",
        ],
        p,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(events_read(&err), lines.len() as u64, "{err}");
    assert_eq!(std::fs::read_to_string(p.join("alerts.jsonl")).unwrap(), expected);
}

/// A log rotated while watch was stopped: the renamed file, found in the watched directory by
/// identity, continues at its checkpointed offset (its line appended before the rename is
/// read), and the new file at the path is read from its start; nothing is read twice.
#[test]
fn a_rotation_while_stopped_continues_the_old_file_and_starts_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join("logs")).unwrap();
    let log = p.join("logs/auth.jsonl");
    append(
        &log,
        &(event_line("2019-01-01T00:00:00Z", "a", "b")
            + &event_line("2019-01-01T00:00:01Z", "a", "c")),
    );
    let args = ["watch", "logs", "--once", "--state", "state"];
    let first = hopscope(&args, p);
    assert!(first.status.success());
    assert_eq!(events_read(&String::from_utf8_lossy(&first.stderr)), 2);
    // while stopped: one more line, then the rotation and a new file
    append(&log, &event_line("2019-01-01T00:00:02Z", "a", "d"));
    std::fs::rename(&log, p.join("logs/auth.jsonl.1")).unwrap();
    append(&log, &event_line("2019-01-01T00:00:03Z", "a", "e"));
    let second = hopscope(&args, p);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{err}");
    assert!(err.contains("auth.jsonl.1: renamed while watch was stopped"), "{err}");
    assert!(err.contains("auth.jsonl.1: resumed from checkpoint at byte"), "{err}");
    assert!(err.contains("2 events fed by this run"), "{err}");
    assert_eq!(events_read(&err), 4, "{err}");
}

/// A state file that is not a checkpoint of this hopscope is refused with a message naming
/// it, never a panic and never silently replaced.
#[test]
fn a_foreign_or_damaged_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    append(&p.join("auth.jsonl"), &event_line("2019-01-01T00:00:00Z", "a", "b"));
    let watch = |extra: &[&str]| {
        let mut args = vec!["watch", "auth.jsonl", "--once", "--state", "state"];
        args.extend_from_slice(extra);
        hopscope(&args, p)
    };
    assert!(watch(&[]).status.success());
    let state = p.join("state/state.bin");
    let good = std::fs::read(&state).unwrap();
    assert!(good.starts_with(b"hopscope-watch-state\n"));
    // a checkpoint taken with other detection settings
    let other = watch(&["--window", "1h"]);
    assert!(!other.status.success());
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("other detection settings"),
        "{other:?}"
    );
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("foreign", b"PAR1 not ours".to_vec(), "not a hopscope watch checkpoint"),
        ("cut short", good[..good.len() - 7].to_vec(), "damaged watch checkpoint"),
        (
            "other version",
            {
                let mut b = good.clone();
                b[21] = 99;
                b
            },
            "format version 99",
        ),
    ];
    for (what, bytes, message) in cases {
        std::fs::write(&state, &bytes).unwrap();
        let out = watch(&[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted");
        assert!(
            err.contains(message) && err.contains("state.bin") && !err.contains("panicked"),
            "{what}: {err}"
        );
        assert_eq!(std::fs::read(&state).unwrap(), bytes, "{what}: the file is left as it was");
    }
}

#[test]
fn rotation_and_truncation_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let log = p.join("auth.jsonl");
    append(
        &log,
        &(event_line("2019-01-01T00:00:00Z", "a", "b")
            + &event_line("2019-01-01T00:00:01Z", "a", "c")),
    );
    let mut w =
        Watcher::spawn(&["auth.jsonl", "--exit-idle", "1s", "--poll", "20"], p, Stdio::null());
    w.wait_for("auth.jsonl: following");
    // rotate: the old file gets one more line before the new one appears
    append(&log, &event_line("2019-01-01T00:00:02Z", "a", "d"));
    std::fs::rename(&log, p.join("auth.jsonl.1")).unwrap();
    append(&p.join("auth.jsonl.1"), &event_line("2019-01-01T00:00:03Z", "a", "e"));
    // the new file appears with its first line (as a logger's rename-into-place does), so
    // the truncation below cannot come before watch has read it
    std::fs::write(p.join("new"), event_line("2019-01-01T00:00:04Z", "a", "f")).unwrap();
    std::fs::rename(p.join("new"), &log).unwrap();
    w.wait_for("auth.jsonl: rotated");
    w.wait_for("auth.jsonl: following");
    // truncate and write a shorter file
    std::fs::write(&log, "").unwrap();
    w.wait_for("auth.jsonl: truncated");
    append(&log, &event_line("2019-01-01T00:00:05Z", "b", "c"));
    let (_, err) = w.finish();
    // 2 + 2 from the old file (one written after the rename), 1 before the truncation, 1 after
    assert_eq!(events_read(&err), 6, "{err}");
}

#[test]
fn a_partial_last_line_waits_until_it_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let log = p.join("auth.jsonl");
    let line = event_line("2019-01-01T00:00:01Z", "a", "c");
    let (head, tail) = line.split_at(20);
    append(&log, &(event_line("2019-01-01T00:00:00Z", "a", "b") + head));
    let mut w =
        Watcher::spawn(&["auth.jsonl", "--exit-idle", "1s", "--poll", "20"], p, Stdio::null());
    w.wait_for("auth.jsonl: following");
    std::thread::sleep(Duration::from_millis(200)); // several polls see the partial line
    append(&log, tail);
    let (_, err) = w.finish();
    assert!(!err.contains("bad line"), "the half line was parsed: {err}");
    assert_eq!(events_read(&err), 2, "{err}");
}

#[test]
fn standard_input_is_read_until_it_closes() {
    let sim = Sim::new();
    let p = sim.path();
    ok(&["export", "--case", "case", "--out", "all.jsonl"], p);
    let from_file = ok(&["watch", "all.jsonl", "--inventory", "sim", "--once", "--budget", "0"], p);
    let mut w = Watcher::spawn(&["-", "--inventory", "sim", "--budget", "0"], p, Stdio::piped());
    // fed from a thread of its own: the alerts the watch writes meanwhile can fill its
    // standard output's pipe before the input ends, and nothing reads that pipe until then
    let mut stdin = w.child.stdin.take().unwrap();
    let input = std::fs::read(p.join("all.jsonl")).unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let (out, _) = w.finish();
    feeder.join().unwrap().unwrap();
    // evidence names the input: `-` rather than the file
    let strip = |s: &str| s.replace("\"file\":\"all.jsonl\"", "\"file\":\"-\"");
    let (_, a) = fold(&strip(&from_file));
    let (_, b) = fold(&out);
    assert!(!b.is_empty());
    assert_eq!(a, b);
}

#[test]
fn new_files_in_a_watched_directory_are_followed_and_rotated_copies_are_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join("logs")).unwrap();
    let log = p.join("logs/auth.jsonl");
    append(
        &log,
        &(event_line("2019-01-01T00:00:00Z", "a", "b")
            + &event_line("2019-01-01T00:00:01Z", "a", "c")),
    );
    let mut w = Watcher::spawn(&["logs", "--exit-idle", "2s", "--poll", "20"], p, Stdio::null());
    w.wait_for("auth.jsonl: following");
    // logrotate: rename, a fresh file, a compressed copy of an older one
    std::fs::rename(&log, p.join("logs/auth.jsonl.1")).unwrap();
    std::fs::write(p.join("new"), event_line("2019-01-01T00:00:02Z", "a", "d")).unwrap();
    std::fs::rename(p.join("new"), &log).unwrap();
    w.wait_for("auth.jsonl: rotated");
    // a new log
    append(&p.join("logs/other.jsonl"), &event_line("2019-01-01T00:00:03Z", "b", "c"));
    w.wait_for("other.jsonl: following");
    let (_, err) = w.finish();
    assert!(err.contains("auth.jsonl.1: a rotated copy of a log already read"), "{err}");
    assert_eq!(events_read(&err), 4, "{err}");
}

/// Wait (up to 30 s) for the child to exit; a watch that hangs fails the test instead of
/// hanging it.
fn exit_within(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            panic!("{what}: watch did not exit within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Dangling links, link loops (to themselves, to a parent directory), FIFOs, sockets and a
/// directory put where a followed log was: watch starts with them present, says what each
/// is and why it is skipped, keeps following the logs beside them, says so for ones that
/// appear while it runs, and reads a link whose target appears later.
#[test]
fn entries_that_cannot_be_followed_are_skipped_and_said_and_watch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let logs = p.join("logs");
    std::fs::create_dir(&logs).unwrap();
    append(&logs.join("auth.jsonl"), &event_line("2019-01-01T00:00:00Z", "a", "b"));
    append(&logs.join("moved.jsonl"), &event_line("2019-01-01T00:00:01Z", "a", "c"));
    std::os::unix::fs::symlink("nowhere.jsonl", logs.join("dangling.jsonl")).unwrap();
    std::os::unix::fs::symlink("self.jsonl", logs.join("self.jsonl")).unwrap();
    std::os::unix::fs::symlink("..", logs.join("up")).unwrap();
    mkfifo(&logs.join("pipe.jsonl"));
    let _socket = std::os::unix::net::UnixListener::bind(logs.join("sock.jsonl")).unwrap();
    // a path given by name that is a dangling link at the start
    std::os::unix::fs::symlink("later.jsonl", p.join("named.jsonl")).unwrap();
    let mut w = Watcher::spawn(
        &["logs", "named.jsonl", "--exit-idle", "3s", "--poll", "20"],
        p,
        Stdio::null(),
    );
    w.wait_for("auth.jsonl: following");
    w.wait_for("moved.jsonl: following");
    for (name, why) in [
        ("dangling.jsonl", "a dangling symbolic link"),
        ("self.jsonl", "a symbolic link loop"),
        ("up", "a symbolic link loop"),
        ("pipe.jsonl", "a FIFO (named pipe), not a log file; skipped"),
        ("sock.jsonl", "a socket, not a log file; skipped"),
        ("named.jsonl", "a dangling symbolic link"),
    ] {
        let said = w.seen.iter().any(|l| l.contains(&format!("{name}: {why}")));
        assert!(said, "{name}: {why} not said:\n{}", w.seen.join("\n"));
    }
    // appearing while watch runs: a loop, a dangling link, a FIFO
    std::os::unix::fs::symlink("loop2.jsonl", logs.join("loop1.jsonl")).unwrap();
    std::os::unix::fs::symlink("loop1.jsonl", logs.join("loop2.jsonl")).unwrap();
    w.wait_for("loop1.jsonl: a symbolic link loop");
    std::os::unix::fs::symlink("gone.jsonl", logs.join("new-dangling.jsonl")).unwrap();
    w.wait_for("new-dangling.jsonl: a dangling symbolic link");
    mkfifo(&logs.join("pipe2.jsonl"));
    w.wait_for("pipe2.jsonl: a FIFO");
    // a directory where a followed log was
    std::fs::remove_file(logs.join("moved.jsonl")).unwrap();
    std::fs::create_dir(logs.join("moved.jsonl")).unwrap();
    w.wait_for("moved.jsonl: a directory; not read");
    // targets appear: the dangling links are logs now
    append(&logs.join("nowhere.jsonl"), &event_line("2019-01-01T00:00:02Z", "a", "d"));
    w.wait_for("dangling.jsonl: following");
    append(&p.join("later.jsonl"), &event_line("2019-01-01T00:00:03Z", "a", "e"));
    w.wait_for("named.jsonl: readable again");
    let (_, err) = w.finish();
    // auth, moved, nowhere (read under two names: the link and the file), named
    assert_eq!(events_read(&err), 5, "{err}");
    // each entry said once, not every walk
    assert_eq!(err.matches("self.jsonl: a symbolic link loop").count(), 1, "{err}");
    assert_eq!(err.matches("moved.jsonl: a directory").count(), 1, "{err}");
}

/// `watch - --once` reads standard input to its end, however slowly it comes, then stops.
#[test]
fn once_reads_standard_input_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String =
        (0..50).map(|i| event_line(&format!("2019-01-01T00:00:{i:02}Z"), "a", "b")).collect();
    // all at once
    let mut w = Watcher::spawn(&["-", "--once"], dir.path(), Stdio::piped());
    w.child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    let (_, err) = w.finish();
    assert_eq!(events_read(&err), 50, "{err}");
    // in pieces, with pauses longer than a poll
    let mut w = Watcher::spawn(&["-", "--once", "--poll", "10"], dir.path(), Stdio::piped());
    {
        let mut stdin = w.child.stdin.take().unwrap();
        for piece in lines.as_bytes().chunks(700) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(60));
        }
    }
    let (_, err) = w.finish();
    assert_eq!(events_read(&err), 50, "{err}");
    // nothing at all: stops at once
    let mut w = Watcher::spawn(&["-", "--once"], dir.path(), Stdio::null());
    assert!(exit_within(&mut w.child, "empty standard input").success());
}

/// `--alerts` must be something alert events can be appended to: a regular file (read back
/// for exactly-once), or a stream never read back (a FIFO, /dev/null). A directory or a
/// device that gives endless bytes (/dev/zero, /dev/urandom) is refused at once, naming
/// what it is, and nothing is read from it.
#[test]
fn alerts_that_cannot_hold_events_are_refused_and_streams_are_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    append(&p.join("auth.jsonl"), &event_line("2019-01-01T00:00:00Z", "a", "b"));
    std::fs::create_dir(p.join("adir")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", p.join("zero-link")).unwrap();
    for (sink, kind) in [
        ("/dev/zero", "a character device"),
        ("/dev/urandom", "a character device"),
        ("zero-link", "a character device"),
        ("adir", "a directory"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
            .args(["watch", "auth.jsonl", "--once", "--alerts", sink])
            .current_dir(p)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = exit_within(&mut child, sink);
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(!status.success(), "{sink}: accepted");
        assert!(err.contains(&format!("--alerts {sink}: {kind}, not a regular file")), "{err}");
    }
    // /dev/null: accepted, nothing read back
    let out = hopscope(&["watch", "auth.jsonl", "--once", "--alerts", "/dev/null"], p);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // a FIFO with a reader: written to, not read back
    mkfifo(&p.join("alerts.fifo"));
    let reader = {
        let fifo = p.join("alerts.fifo");
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let mut w =
        Watcher::spawn(&["auth.jsonl", "--once", "--alerts", "alerts.fifo"], p, Stdio::null());
    assert!(exit_within(&mut w.child, "FIFO").success());
    w.child.wait().unwrap();
    reader.join().unwrap();
    w.wait_for("a FIFO; alert events are written as they come and not read back");
}

/// Two watches on one --state directory or one --alerts file would write the same events
/// twice with the same seq: the second one refuses, naming what is held; a crash (kill -9) of
/// the holder releases both locks.
#[test]
fn a_second_watch_on_the_same_state_or_alerts_is_refused_and_a_crash_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    append(&p.join("auth.jsonl"), &event_line("2019-01-01T00:00:00Z", "a", "b"));
    let args = ["auth.jsonl", "--state", "state", "--alerts", "alerts.jsonl", "--poll", "20"];
    let mut first = Watcher::spawn(&args, p, Stdio::null());
    first.wait_for("auth.jsonl: following");
    let second = |extra: &[&str]| {
        let mut a = vec!["watch", "auth.jsonl", "--once"];
        a.extend_from_slice(extra);
        let out = hopscope(&a, p);
        (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (ok_state, err) = second(&["--state", "state"]);
    assert!(!ok_state, "a second watch on the same state ran");
    assert!(
        err.contains("--state state: another hopscope watch (process ")
            && err.contains(&format!("{})", first.child.id())),
        "{err}"
    );
    let (ok_alerts, err) = second(&["--alerts", "alerts.jsonl", "--state", "other"]);
    assert!(!ok_alerts, "a second watch on the same alerts file ran");
    assert!(err.contains("--alerts alerts.jsonl: another hopscope watch is writing"), "{err}");
    assert!(!p.join("other/state.bin").exists(), "the refused watch wrote a checkpoint");
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let (ok_after, err) = second(&["--state", "state", "--alerts", "alerts.jsonl"]);
    assert!(ok_after, "the lock outlived the crash: {err}");
}

/// `program -c FILE > OUT` (gzip, zstd).
fn compress(program: &str, file: &Path, out: &Path) {
    let o = Command::new(program).arg("-c").arg(file).output().unwrap();
    assert!(o.status.success(), "{program}: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(out, o.stdout).unwrap();
}

/// Whether a file appearing in a watched directory was read is decided by what it holds, not
/// by its name: gzip and zstd copies of a log already read (rotated away, or still followed)
/// and a plain copy are not read again; new compressed logs (`host.security.jsonl.gz`,
/// `.zst`) are read.
#[test]
fn compressed_and_copied_logs_are_judged_by_content_not_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let logs = p.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("auth.jsonl");
    let three: String =
        (0..3).map(|i| event_line(&format!("2019-01-01T00:00:0{i}Z"), "a", "b")).collect();
    append(&log, &three);
    let mut w = Watcher::spawn(&["logs", "--exit-idle", "3s", "--poll", "20"], p, Stdio::null());
    w.wait_for("auth.jsonl: following");
    // rotation: renamed away, a new file in its place
    std::fs::rename(&log, logs.join("auth.jsonl.1")).unwrap();
    let two: String =
        (3..5).map(|i| event_line(&format!("2019-01-01T00:00:0{i}Z"), "a", "c")).collect();
    std::fs::write(p.join("new"), &two).unwrap();
    std::fs::rename(p.join("new"), &log).unwrap();
    w.wait_for("auth.jsonl: rotated");
    w.wait_for("logs/auth.jsonl: following");
    // compressed copies of the rotated log, a plain and a compressed copy of the live one
    compress("gzip", &logs.join("auth.jsonl.1"), &logs.join("auth.jsonl.2.gz"));
    w.wait_for("auth.jsonl.2.gz: a copy of logs/auth.jsonl, already read");
    compress("zstd", &logs.join("auth.jsonl.1"), &logs.join("auth.jsonl.3.zst"));
    w.wait_for("auth.jsonl.3.zst: a copy of logs/auth.jsonl, already read");
    std::fs::copy(&log, logs.join("backup.jsonl")).unwrap();
    w.wait_for("backup.jsonl: a copy of logs/auth.jsonl, already read");
    compress("gzip", &log, &logs.join("live-copy.jsonl.gz"));
    w.wait_for("live-copy.jsonl.gz: a copy of logs/auth.jsonl, already read");
    // new compressed logs
    let fresh = p.join("fresh.jsonl");
    std::fs::write(
        &fresh,
        event_line("2019-01-01T00:01:00Z", "x", "y")
            + &event_line("2019-01-01T00:01:01Z", "x", "z"),
    )
    .unwrap();
    compress("gzip", &fresh, &logs.join("host.security.jsonl.gz"));
    w.wait_for("host.security.jsonl.gz: read whole");
    std::fs::write(&fresh, event_line("2019-01-01T00:02:00Z", "y", "z")).unwrap();
    compress("zstd", &fresh, &logs.join("other.jsonl.zst"));
    w.wait_for("other.jsonl.zst: read whole");
    let (_, err) = w.finish();
    // 3 + 2 from the log's two files, 2 + 1 from the new compressed logs, no copy twice
    assert_eq!(events_read(&err), 8, "{err}");
}

fn numbered(from: usize, to: usize, dst: &str) -> String {
    (from..to)
        .map(|i| event_line(&format!("2019-01-01T{:02}:{:02}:00Z", i / 60, i % 60), "a", dst))
        .collect()
}

/// copytruncate followed by a refill longer than what was read, all between two polls: the
/// length alone looks like growth. Watch knows the file by the bytes it read before its
/// offset, reads the new content from its start (nothing skipped), and counts the possible
/// loss of what the old content held after its offset as a problem.
#[test]
fn a_truncation_refilled_past_the_offset_between_two_polls_is_seen_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let log = p.join("auth.jsonl");
    append(&log, &numbered(0, 40, "b"));
    let mut w =
        Watcher::spawn(&["auth.jsonl", "--exit-idle", "3s", "--poll", "500"], p, Stdio::null());
    w.wait_for("auth.jsonl: following (jsonl; 40 lines read)");
    // one open, truncate, write: well within a poll
    std::fs::write(&log, numbered(100, 160, "c")).unwrap();
    w.wait_for("auth.jsonl: rewritten between two polls");
    let (_, err) = w.finish();
    assert_eq!(events_read(&err), 100, "40 before, all 60 after: {err}");
    assert!(err.contains("unreadable 1"), "the possible loss is a counted problem: {err}");
}

/// copytruncate with its copy in a watched directory: lines appended after watch's last poll
/// and before the truncation are in the copy only; watch knows the copy by its first bytes
/// and reads it from where it had read the log (nothing twice, nothing lost).
#[test]
fn copytruncate_reads_the_rest_from_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let logs = p.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("auth.jsonl");
    append(&log, &numbered(0, 3, "b"));
    let mut w = Watcher::spawn(&["logs", "--exit-idle", "6s", "--poll", "300"], p, Stdio::null());
    w.wait_for("auth.jsonl: following (jsonl; 3 lines read)");
    // between two polls: two more lines, the copy, the truncation, a first new line
    append(&log, &numbered(3, 5, "c"));
    std::fs::copy(&log, logs.join("auth.jsonl.1")).unwrap();
    std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    append(&log, &numbered(10, 11, "d"));
    w.wait_for("auth.jsonl.1: a copy of logs/auth.jsonl, made before it was truncated");
    let (_, err) = w.finish();
    assert_eq!(events_read(&err), 6, "3 + 2 from the copy + 1: {err}");
}

/// One absurd time must not change watch's conclusions: rows dated 1601, 1970, 9000, a
/// year far in the future and one more than a year before the simulated 2019 bulk, added
/// beside the simulated logs, are counted as problems (file and line) and not fed: the alert
/// events are those of the logs alone (the 1601 row used to end the warm-up in 1601).
#[test]
fn absurd_times_are_counted_and_do_not_move_the_warmup() {
    let sim = Sim::new();
    let p = sim.path();
    ok(&["export", "--case", "case", "--out", "all.jsonl"], p);
    let run = |logs: &[&str]| {
        let mut args = vec!["watch"];
        args.extend_from_slice(logs);
        args.extend_from_slice(&["--inventory", "sim", "--once", "--budget", "0"]);
        let out = hopscope(&args, p);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{err}");
        (String::from_utf8(out.stdout).unwrap(), err)
    };
    let (clean, clean_err) = run(&["all.jsonl"]);
    assert!(!clean.is_empty());
    let absurd = [
        "1601-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "2005-06-01T12:00:00Z",
        "2999-01-01T00:00:00Z",
        "9000-01-01T00:00:00Z",
    ];
    let rows: String = absurd.iter().map(|t| event_line(t, "sg-ops-03", "th-app-02")).collect();
    std::fs::write(p.join("absurd.jsonl"), rows).unwrap();
    let (out, err) = run(&["absurd.jsonl", "all.jsonl"]);
    let strip = |s: &str| s.replace("\"file\":\"absurd.jsonl\"", "");
    assert_eq!(strip(&out), clean, "the absurd rows changed the alert events");
    assert_eq!(events_read(&err), events_read(&clean_err), "{err}");
    assert!(err.contains("bad-time 5"), "each absurd row is a counted problem: {err}");
    assert!(err.contains("absurd.jsonl:1") && err.contains("before 1990"), "{err}");
}

/// `--alerts` naming a file that is not watch's own (a log, another program's JSON lines, a
/// one-line note without a line end) was appended to, and its last line cut: refused before
/// anything is written or cut, the file byte for byte as it was. `--alerts` and `--state` in
/// a case are refused too.
#[test]
fn alerts_into_a_file_that_is_not_watch_s_own_or_into_a_case_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    append(&p.join("auth.jsonl"), &event_line("2019-01-01T00:00:00Z", "a", "b"));
    let files: [(&str, &[u8]); 5] = [
        ("auth.log", b"Sep  5 12:00:01 h sshd[1]: Accepted password for a from 10.0.0.1\n"),
        ("conn.json", b"{\"ts\":1567684800.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\"}\n"),
        ("notes.txt", b"call the CERT back"),
        ("cut.json", b"{\"seq\":1,\"alert\":{\"id\":\"A-1\"}}\n{\"ts\":1567684800.0,\"u"),
        ("other.jsonl", b"{\"seq\":1,\"event\":\"raised\"}\n"),
    ];
    for (name, bytes) in files {
        std::fs::write(p.join(name), bytes).unwrap();
        let out = hopscope(&["watch", "auth.jsonl", "--once", "--alerts", name], p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("not an alert event of hopscope watch"), "{name}: {err}");
        assert_eq!(std::fs::read(p.join(name)).unwrap(), bytes, "{name} changed");
    }
    // a file of watch's own alert events cut by a crash is still taken, its cut line dropped
    let out = hopscope(&["watch", "auth.jsonl", "--once", "--alerts", "alerts.jsonl"], p);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut ours = std::fs::read(p.join("alerts.jsonl")).unwrap();
    ours.extend_from_slice(b"{\"seq\":7,\"ev");
    std::fs::write(p.join("alerts.jsonl"), &ours).unwrap();
    let out = hopscope(&["watch", "auth.jsonl", "--once", "--alerts", "alerts.jsonl"], p);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dropped a partly written last line"));
    // into a case
    std::fs::write(p.join("events.jsonl"), event_line("2019-01-01T00:00:00Z", "a", "b")).unwrap();
    let o = hopscope(&["ingest", "events.jsonl", "--case", "c"], p);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before: Vec<_> =
        std::fs::read_dir(p.join("c")).unwrap().map(|e| e.unwrap().file_name()).collect();
    for args in [
        &["watch", "auth.jsonl", "--once", "--alerts", "c/alerts.jsonl"][..],
        &["watch", "auth.jsonl", "--once", "--state", "c"][..],
        &["watch", "auth.jsonl", "--once", "--state", "c/events/state"][..],
    ] {
        let o = hopscope(args, p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("inside the case directory"), "{args:?}: {err}");
    }
    let after: Vec<_> =
        std::fs::read_dir(p.join("c")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before, after);
    assert!(!p.join("c/events/state").exists());
}
