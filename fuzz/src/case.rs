//! The case reader target. A small case is written once (the template); each input replaces
//! one of its files: the first byte chooses which (the manifest, a run of events, a
//! dictionary, the labels), the rest is the file. A replaced run's checksum is taken out of
//! the manifest, as in a case written before runs had checksums, so that the Parquet reader
//! itself is reached; the manifest target keeps the checksums.
//!
//! Invariant: a case that opens and reads without an error gives exactly the rows its
//! manifest counts, in time order: never different data with success.

use std::path::{Path, PathBuf};

use hopscope_case::{Case, CaseWriter, Label, Manifest};
use hopscope_model::*;

pub struct Template {
    /// The case's files (path inside the case, bytes).
    files: Vec<(String, Vec<u8>)>,
    work: PathBuf,
}

/// A committed case: 300 events in runs of 100, three labels.
fn write_template(dir: &Path) {
    let (mut w, _, mut cat, _) = CaseWriter::open(dir).expect("a new case");
    w.set_run_events(100);
    let src = cat.sources.intern("auth.log");
    let mut t = EventTable::default();
    for i in 0..300u32 {
        let user = cat.accounts.intern(&format!("user{}", i % 13), Some("CORP"));
        let dst = cat.hosts.resolve(&Inventory::default(), Some(&format!("srv{}", i % 7)), None);
        let src_ip = cat.addresses.intern(&format!("10.0.0.{}", i % 5));
        t.push(&Event {
            time: Time((1_560_000_000 + i64::from(i) * 37) * 1_000_000),
            src_host: 0,
            src_ip,
            dst_host: dst,
            dst_ip: 0,
            user,
            src_user: 0,
            auth: 0,
            logon_type: LogonType::Network,
            outcome: if i % 5 == 0 { Outcome::Failure } else { Outcome::Success },
            orientation: Orientation::LogOn,
            format: SourceFormat::Sshd,
            event_id: 0,
            flags: EventFlags::default(),
            evidence: Evidence { source: src, position: Position::Line(u64::from(i) + 1) },
        });
    }
    for from in (0..300).step_by(100) {
        let mut p = EventTable::default();
        p.extend_from_range(&t, from..from + 100);
        w.push(&p).expect("push");
    }
    w.push_labels((0..3u32).map(|i| Label {
        time: Time((1_560_000_000 + i64::from(i) * 100) * 1_000_000),
        user: 1,
        src_host: 1,
        dst_host: 2,
        label: "redteam".into(),
        source: src,
        line: u64::from(i) + 1,
    }));
    w.commit(&cat, &Inventory::default(), Manifest::default()).expect("commit");
}

fn files_of(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir.join(rel)).expect("read the template").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let rel_name = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if name.starts_with('.') {
            continue;
        }
        if e.file_type().expect("type").is_dir() {
            files_of(dir, &rel_name, out);
        } else {
            out.push((rel_name, std::fs::read(e.path()).expect("read")));
        }
    }
}

impl Template {
    pub fn new(scratch: &Path) -> Template {
        let dir = scratch.join("template");
        let _ = std::fs::remove_dir_all(&dir);
        write_template(&dir);
        let mut files = Vec::new();
        files_of(&dir, "", &mut files);
        // the manifest first: selector 0
        files.sort_by_key(|(n, _)| (n != "manifest.json", n.clone()));
        Template { files, work: scratch.join("case") }
    }

    /// Restore the case and replace file `data[0] % files` with `data[1..]`.
    pub fn run(&self, data: &[u8]) {
        let Some((&sel, body)) = data.split_first() else { return };
        let which = usize::from(sel) % self.files.len();
        let _ = std::fs::remove_dir_all(&self.work);
        std::fs::create_dir_all(self.work.join("events")).expect("mkdir");
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&self.files[0].1).expect("the template's manifest");
        for (i, (name, bytes)) in self.files.iter().enumerate().skip(1) {
            let path = self.work.join(name);
            if i == which {
                std::fs::write(&path, body).expect("write");
                if let Some(runs) = manifest["runs"].as_array_mut() {
                    for r in runs.iter_mut().filter(|r| r["file"] == name.as_str()) {
                        r.as_object_mut().expect("a run").remove("sha256");
                    }
                }
            } else {
                std::fs::write(&path, bytes).expect("write");
            }
        }
        let manifest_bytes = if which == 0 {
            body.to_vec()
        } else {
            serde_json::to_vec_pretty(&manifest).expect("json")
        };
        std::fs::write(self.work.join("manifest.json"), manifest_bytes).expect("write");
        read_case(&self.work);
    }
}

fn read_case(dir: &Path) {
    let Ok(case) = Case::open(dir) else { return };
    let _ = case.labels();
    let _ = case.manifest.problem_total();
    let mut all = 0u64;
    let mut last = i64::MIN;
    let mut ok = true;
    if let Ok(stream) = case.all_events(97) {
        for t in stream {
            match t {
                Ok(t) => {
                    all += t.len() as u64;
                    for &time in &t.time {
                        assert!(time >= last, "events out of time order");
                        last = time;
                    }
                }
                Err(_) => {
                    ok = false;
                    break;
                }
            }
        }
    } else {
        ok = false;
    }
    if ok {
        assert_eq!(all, case.manifest.events, "rows read = rows the manifest counts");
    }
    for stream in [case.events(1000), case.events_outside_range(1000)] {
        if let Ok(stream) = stream {
            for t in stream {
                if t.is_err() {
                    break;
                }
            }
        }
    }
}

/// The template's files as seeds, each behind the selector byte that chooses it.
pub fn write_seeds(out: &Path) {
    let scratch = out.join(".template");
    let t = Template::new(&scratch);
    for (i, (name, bytes)) in t.files.iter().enumerate() {
        let mut seed = vec![i as u8];
        seed.extend_from_slice(bytes);
        let file = name.replace('/', "_");
        std::fs::write(out.join(format!("{i:02}-{file}")), seed).expect("write a seed");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
