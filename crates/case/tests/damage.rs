//! The case store does not trust its files: a damaged run, an edited manifest, a run path
//! leading out of the case and files it did not write are all met with a clear refusal (or
//! left alone), never with different data and success.

use std::path::Path;

use hopscope_case::{Case, CaseError, CaseWriter, Manifest};
use hopscope_model::*;

fn events(cat: &mut Catalog, n: usize, from: i64) -> EventTable {
    let mut t = EventTable::default();
    let src = cat.sources.intern("a.log");
    for i in 0..n {
        let user = cat.accounts.intern(&format!("user{}", i % 13), Some("CORP"));
        let dst = cat.hosts.resolve(&Inventory::default(), Some(&format!("srv{}", i % 7)), None);
        t.push(&Event {
            time: Time((from + i as i64 * 37) * 1_000_000),
            src_host: 0,
            src_ip: 0,
            dst_host: dst,
            dst_ip: 0,
            user,
            src_user: 0,
            auth: 0,
            logon_type: LogonType::Network,
            outcome: if i % 5 == 0 { Outcome::Failure } else { Outcome::Success },
            orientation: Orientation::LogOn,
            format: SourceFormat::Lanl,
            event_id: 4624,
            flags: EventFlags::default(),
            evidence: Evidence { source: src, position: Position::Line(i as u64 + 1) },
        });
    }
    t
}

/// A committed case of `n` events in runs of `run` events; returns its events sorted.
fn make(dir: &Path, n: usize, run: usize) -> EventTable {
    let (mut w, _, mut cat, _) = CaseWriter::open(dir).unwrap();
    w.set_run_events(run);
    let t = events(&mut cat, n, 1_560_000_000);
    // runs end at pushes: push a run's worth at a time
    for from in (0..n).step_by(run) {
        let mut p = EventTable::default();
        p.extend_from_range(&t, from..(from + run).min(n));
        w.push(&p).unwrap();
    }
    w.commit(&cat, &Inventory::default(), Manifest::default()).unwrap();
    let mut t = t;
    t.sort_by_time();
    t
}

fn read(dir: &Path) -> Result<EventTable, CaseError> {
    Case::open(dir)?.load_events()
}

fn edit_manifest(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    f(&mut m);
    std::fs::write(&p, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

#[test]
fn every_single_bit_flip_in_a_run_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c");
    let expect = make(&case, 3000, 5000);
    assert_eq!(read(&case).unwrap(), expect);
    let m = Case::open(&case).unwrap().manifest;
    assert_eq!(m.runs.len(), 1);
    let run = case.join(&m.runs[0].file);
    let good = std::fs::read(&run).unwrap();
    // bytes spread over the whole file: magic, pages of every column, the footer
    let len = good.len();
    let mut offsets: Vec<usize> = (0..24).map(|i| i * (len - 1) / 23).collect();
    offsets.extend([4, len / 2 + 1, len - 9, len - 5]);
    for (k, &at) in offsets.iter().enumerate() {
        let mut bad = good.clone();
        bad[at] ^= 1 << (k % 8);
        std::fs::write(&run, &bad).unwrap();
        match read(&case) {
            Ok(t) => panic!(
                "bit {} of byte {at} flipped: read back {} rows ({}), no error",
                k % 8,
                t.len(),
                if t == expect { "the same" } else { "different data" }
            ),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains(&m.runs[0].file), "byte {at}: {msg}");
            }
        }
    }
    std::fs::write(&run, &good).unwrap();
    assert_eq!(read(&case).unwrap(), expect);
}

#[test]
fn manifest_row_counts_that_disagree_with_the_runs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c");
    make(&case, 3000, 1000);
    // the total against the runs
    edit_manifest(&case, |m| m["events"] = serde_json::json!(6000));
    let e = read(&case).unwrap_err().to_string();
    assert!(e.contains("manifest.json") && e.contains("6000"), "{e}");
    // a run's count against its file (and the total made to agree)
    edit_manifest(&case, |m| {
        m["events"] = serde_json::json!(3500);
        m["runs"][1]["rows"] = serde_json::json!(1500);
    });
    let e = read(&case).unwrap_err().to_string();
    assert!(e.contains("run-00001-00002") && e.contains("1500"), "{e}");
    // a run dropped from the manifest with the total lowered to match: its rows are gone
    // from what the case says it holds, but nothing else can be checked... the remaining
    // runs still read whole
    edit_manifest(&case, |m| {
        m["runs"][1]["rows"] = serde_json::json!(1000);
        m["events"] = serde_json::json!(3000);
    });
    assert_eq!(read(&case).unwrap().len(), 3000);
    // a dictionary shorter than the manifest counted
    edit_manifest(&case, |m| m["accounts"] = serde_json::json!(500));
    let e = read(&case).unwrap_err().to_string();
    assert!(e.contains("accounts.parquet") && e.contains("500"), "{e}");
}

/// Found by the `case` fuzz target: a run whose manifest entry claims an earlier first time
/// than its rows hold was opened first, and its first row handed out before the rows of the
/// run that really came first: events out of time order, with success. Every claimed bound
/// of every run, too early or too late, on either side, is checked against the rows.
#[test]
fn run_time_bounds_that_disagree_with_the_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c");
    let expect = make(&case, 3000, 1000);
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("manifest.json")).unwrap()).unwrap();
    for run in 0..3 {
        let min = original["runs"][run]["min_time"].as_i64().unwrap();
        let max = original["runs"][run]["max_time"].as_i64().unwrap();
        for (field, value) in [
            ("min_time", 15_600_000_000_000),
            ("min_time", min + 1),
            ("max_time", max - 1),
            ("max_time", min),
        ] {
            edit_manifest(&case, |m| {
                *m = original.clone();
                m["runs"][run][field] = serde_json::json!(value);
            });
            let name = original["runs"][run]["file"].as_str().unwrap().to_string();
            let name = name.trim_start_matches("events/").trim_end_matches(".parquet");
            let case = Case::open(&case).unwrap();
            let got: Result<Vec<EventTable>, CaseError> = case.all_events(97).unwrap().collect();
            match got {
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains(name) && e.contains("time"), "run {run} {field}: {e}");
                }
                Ok(tables) => {
                    let times: Vec<i64> = tables.iter().flat_map(|t| t.time.clone()).collect();
                    assert!(
                        times.windows(2).all(|w| w[0] <= w[1]) && times.len() == expect.len(),
                        "run {run} {field} = {value}: read with success, out of time order"
                    );
                    panic!("run {run} {field} = {value}: a false bound read with success");
                }
            }
        }
    }
    edit_manifest(&case, |m| *m = original.clone());
    assert_eq!(read(&case).unwrap(), expect);
}

#[test]
fn run_paths_leading_out_of_the_case_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c");
    make(&case, 300, 1000);
    let secret = dir.path().join("secret.parquet");
    let run = Case::open(&case).unwrap().manifest.runs[0].file.clone();
    std::fs::copy(case.join(&run), &secret).unwrap();
    let outside = secret.display().to_string();
    for path in [
        "../../etc/passwd",
        "events/../../secret.parquet",
        "../secret.parquet",
        outside.as_str(),
        "/etc/passwd",
        "events",
        "events/",
        "hosts.parquet",
        "events/sub/run.parquet",
        "events\\..\\..\\secret.parquet",
    ] {
        edit_manifest(&case, |m| m["runs"][0]["file"] = serde_json::json!(path));
        let e = read(&case).err().unwrap_or_else(|| panic!("{path}: read")).to_string();
        assert!(e.contains("refused"), "{path}: {e}");
    }
    // a symbolic link in events/ leading out of the case
    std::os::unix::fs::symlink(&secret, case.join("events/run-00009-00001.parquet")).unwrap();
    edit_manifest(&case, |m| {
        m["runs"][0]["file"] = serde_json::json!("events/run-00009-00001.parquet");
        m["runs"][0]["sha256"] = serde_json::Value::Null;
    });
    let e = read(&case).unwrap_err().to_string();
    assert!(e.contains("outside the case directory"), "{e}");
    // and a dictionary replaced by one
    edit_manifest(&case, |m| m["runs"][0]["file"] = serde_json::json!(run));
    assert_eq!(read(&case).unwrap().len(), 300);
    std::fs::remove_file(case.join("hosts.parquet")).unwrap();
    std::os::unix::fs::symlink(&secret, case.join("hosts.parquet")).unwrap();
    let e = read(&case).unwrap_err().to_string();
    assert!(e.contains("hosts.parquet") && e.contains("outside the case directory"), "{e}");
}

#[test]
fn an_append_deletes_only_its_own_leftovers_and_names_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c");
    make(&case, 300, 1000);
    let ev = case.join("events");
    // the user's files, another tool's, a run of a generation this writer is not
    let theirs =
        ["notes.txt", "run-00001-00099.parquet", "copy of run.parquet", "run-00002-x.parquet"];
    for f in theirs {
        std::fs::write(ev.join(f), b"not hopscope's to delete").unwrap();
    }
    // left by a writer of generation 2 killed before its commit
    std::fs::write(ev.join("run-00002-00007.parquet"), b"half a run").unwrap();
    std::fs::write(ev.join("run-00002-00008.parquet.tmp"), b"half a run").unwrap();

    let (mut w, existing, mut cat, _) = CaseWriter::open(&case).unwrap();
    assert_eq!(existing.unwrap().generation, 1);
    w.push(&events(&mut cat, 50, 1_560_100_000)).unwrap();
    let m = w.commit(&cat, &Inventory::default(), Manifest::default()).unwrap();

    for f in theirs {
        assert_eq!(std::fs::read(ev.join(f)).unwrap(), b"not hopscope's to delete", "{f}");
    }
    assert!(!ev.join("run-00002-00007.parquet").exists());
    assert!(!ev.join("run-00002-00008.parquet.tmp").exists());
    let note = m.notes.iter().find(|n| n.contains("does not name")).expect("a note");
    for f in theirs {
        assert!(note.contains(f), "{note}");
    }
    assert_eq!(read(&case).unwrap().len(), 350);
}

/// Rewrite the Parquet file at `path` with the same rows and `schema` as its embedded Arrow
/// schema (`ARROW:schema`, base64 of an Arrow IPC message), nothing else in its metadata.
fn with_embedded_schema(path: &Path, rows: &[arrow_array::RecordBatch], schema: &[u8]) {
    use base64::Engine;
    use parquet::arrow::arrow_writer::ArrowWriterOptions;
    use parquet::arrow::ArrowWriter;
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    let value = base64::engine::general_purpose::STANDARD.encode(schema);
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new("ARROW:schema".into(), value)]))
        .build();
    let options = ArrowWriterOptions::new().with_properties(props).with_skip_arrow_metadata(true);
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new_with_options(f, rows[0].schema(), options).unwrap();
    for b in rows {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

/// The rows and the embedded Arrow schema (decoded) of a Parquet file.
fn rows_and_embedded_schema(path: &Path) -> (Vec<arrow_array::RecordBatch>, Vec<u8>) {
    use base64::Engine;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let kv = b.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    let encoded = kv.iter().find(|k| k.key == "ARROW:schema").and_then(|k| k.value.clone());
    let schema = base64::engine::general_purpose::STANDARD.decode(encoded.unwrap()).unwrap();
    (b.build().unwrap().map(|b| b.unwrap()).collect(), schema)
}

#[test]
fn a_damaged_embedded_arrow_schema_is_never_a_panic_and_never_read() {
    // found by fuzzing: a Parquet file whose embedded Arrow schema names an unknown type, or
    // a list without its child, made the Arrow IPC decoder panic while a case was opened
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all = make(d, 300, 100);
    // runs are checksummed; take the first run's out so the Parquet reader is reached
    edit_manifest(d, |m| {
        m["runs"][0].as_object_mut().unwrap().remove("sha256");
    });
    let run = {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("manifest.json")).unwrap()).unwrap();
        d.join(m["runs"][0]["file"].as_str().unwrap())
    };
    let mut tried = 0;
    for file in [d.join("hosts.parquet"), run] {
        let original = std::fs::read(&file).unwrap();
        let (rows, schema) = rows_and_embedded_schema(&file);
        // every byte of the message (after its 8-byte prefix) set to 0 and to 0xff
        for i in 8..schema.len() {
            for v in [0u8, 0xff] {
                if v == schema[i] {
                    continue;
                }
                let mut bad = schema.clone();
                bad[i] = v;
                with_embedded_schema(&file, &rows, &bad);
                // the embedded schema is not read: the case reads as written, whatever it says
                let events = read(d).unwrap_or_else(|e| panic!("byte {i} = {v}: {e}"));
                assert_eq!(events.len(), all.len());
                tried += 1;
            }
        }
        std::fs::write(&file, original).unwrap();
    }
    assert!(tried > 300, "{tried} damaged schemas tried");
    assert_eq!(read(d).unwrap().len(), all.len());
}
