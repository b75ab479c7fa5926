//! Case round trip: events, dictionaries and inventory written and read back identical.

use hopscope_case::{Case, CaseWriter, Label, Manifest};
use hopscope_model::*;

fn inventory() -> Inventory {
    Inventory::new(
        vec![InventoryHost {
            name: "jp-crm-01".into(),
            ips: vec!["10.1.0.10".parse().unwrap()],
            site: "tokyo".into(),
            country: "Japan".into(),
            role: "database".into(),
            lifecycle: Lifecycle::Active,
            last_patched: Some("2020-01-10".parse().unwrap()),
            criticality: 4,
            ..Default::default()
        }],
        vec![Site {
            cidr: "10.1.0.0/16".parse().unwrap(),
            site: "tokyo".into(),
            country: "Japan".into(),
        }],
        vec![DataHolding {
            host: "jp-crm-01".into(),
            client: "Client 1".into(),
            data_class: "crm".into(),
            records: 5,
            restricted: true,
        }],
    )
    .0
}

/// Events in scrambled time order, from two sources.
fn events(cat: &mut Catalog, inv: &Inventory, n: usize, seed: u64) -> EventTable {
    let mut t = EventTable::default();
    let src = cat.sources.intern("a.log");
    let src2 = cat.sources.intern("b.evtx");
    let mut x = seed;
    for i in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let h1 = cat.hosts.resolve(inv, Some(&format!("ws{:02}", x % 7)), None);
        let h2 = cat.hosts.resolve(inv, None, Some("10.1.0.10".parse().unwrap()));
        let user = cat.accounts.intern(&format!("u{}", x % 5), Some("CORP"));
        let ip = cat.addresses.intern("10.1.0.10");
        let auth = cat.auths.intern("Kerberos");
        let record = i % 3 == 0;
        t.push(&Event {
            time: Time(((x >> 20) % 1000) as i64 * 1_000_000),
            src_host: h1,
            src_ip: 0,
            dst_host: h2,
            dst_ip: ip,
            user,
            src_user: 0,
            auth,
            logon_type: LogonType::Network,
            outcome: if i % 4 == 0 { Outcome::Failure } else { Outcome::Success },
            orientation: Orientation::LogOn,
            format: SourceFormat::Winjson,
            event_id: 4624,
            flags: EventFlags::PRIVILEGED,
            evidence: Evidence {
                source: if record { src2 } else { src },
                position: if record {
                    Position::Record(i as u64)
                } else {
                    Position::Line(i as u64 + 1)
                },
            },
        });
    }
    t
}

#[test]
fn write_read_identical_and_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("case");
    let inv = inventory();
    let (mut w, existing, mut cat, _) = CaseWriter::open(&case_dir).unwrap();
    assert!(existing.is_none());
    cat.hosts.add_inventory(&inv);
    w.set_run_events(700); // several overlapping runs: exercises the merge
    let t = events(&mut cat, &inv, 3000, 7);
    for piece in 0..6 {
        let mut p = EventTable::default();
        p.extend_from_range(&t, piece * 500..piece * 500 + 500);
        w.push(&p).unwrap();
    }
    w.push_labels([Label {
        time: Time(5),
        user: 1,
        src_host: 1,
        dst_host: 2,
        label: "redteam".into(),
        source: 1,
        line: 3,
    }]);
    let m = w.commit(&cat, &inv, Manifest::default()).unwrap();
    assert!(m.runs.len() >= 3, "{} runs", m.runs.len());
    assert_eq!(m.events, 3000);

    let case = Case::open(&case_dir).unwrap();
    let back = case.load_events().unwrap();
    let mut expect = t.clone();
    expect.sort_by_time();
    assert_eq!(back, expect);
    // batches of any size give the same stream
    let mut again = EventTable::default();
    for b in case.events(333).unwrap() {
        again.extend_from(&b.unwrap());
    }
    assert_eq!(again, expect);

    assert_eq!(case.catalog.hosts.records(), cat.hosts.records());
    assert_eq!(case.catalog.accounts.len(), cat.accounts.len());
    assert_eq!(case.catalog.sources.name(2), Some("b.evtx"));
    assert_eq!(case.inventory.hosts, inv.hosts);
    assert_eq!(case.inventory.sites, inv.sites);
    assert_eq!(case.inventory.data, inv.data);
    assert_eq!(case.labels().unwrap().len(), 1);
}

#[test]
fn append_adds_a_generation() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory();
    let (w, _, mut cat, _) = CaseWriter::open(dir.path()).unwrap();
    let first = events(&mut cat, &inv, 100, 1);
    let mut w = w;
    w.push(&first).unwrap();
    w.commit(&cat, &inv, Manifest::default()).unwrap();

    let (mut w, existing, mut cat, inv2) = CaseWriter::open(dir.path()).unwrap();
    assert_eq!(existing.unwrap().generation, 1);
    assert_eq!(inv2.hosts.len(), 1);
    let second = events(&mut cat, &inv2, 50, 2);
    w.push(&second).unwrap();
    let m = w.commit(&cat, &inv2, Manifest::default()).unwrap();
    assert_eq!((m.generation, m.events), (2, 150));
    assert_eq!(Case::open(dir.path()).unwrap().load_events().unwrap().len(), 150);
}

#[test]
fn uncommitted_writes_are_invisible_and_foreign_dirs_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory();
    let (mut w, _, mut cat, _) = CaseWriter::open(dir.path()).unwrap();
    w.set_run_events(10);
    w.push(&events(&mut cat, &inv, 100, 3)).unwrap(); // a run hits the disk...
    drop(w); // ...but the writer dies before commit
    assert!(matches!(Case::open(dir.path()), Err(hopscope_case::CaseError::NotACase(_))));

    let logs = tempfile::tempdir().unwrap();
    std::fs::write(logs.path().join("auth.log"), "x").unwrap();
    assert!(CaseWriter::open(logs.path()).is_err());
}

/// Runs that follow each other in time (time-ordered input) and runs that overlap them, with
/// ties on time across runs: the lazily opened merge gives the fully sorted stream for every
/// batch size.
#[test]
fn merge_of_disjoint_and_overlapping_runs() {
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("case");
    let inv = inventory();
    let (mut w, _, mut cat, _) = CaseWriter::open(&case_dir).unwrap();
    cat.hosts.add_inventory(&inv);
    w.set_run_events(400);
    let mut ordered = events(&mut cat, &inv, 2000, 11);
    ordered.sort_by_time();
    let overlapping = events(&mut cat, &inv, 900, 12);
    for piece in 0..5 {
        let mut p = EventTable::default();
        p.extend_from_range(&ordered, piece * 400..piece * 400 + 400);
        w.push(&p).unwrap();
    }
    w.push(&overlapping).unwrap();
    let m = w.commit(&cat, &inv, Manifest::default()).unwrap();
    assert!(m.runs.len() >= 6, "{} runs", m.runs.len());
    let disjoint = m.runs.windows(2).filter(|r| r[0].max_time < r[1].min_time).count();
    assert!(disjoint >= 1, "some runs follow each other: {:?}", m.runs);

    let mut expect = ordered.clone();
    expect.extend_from(&overlapping);
    expect.sort_by_time();
    let case = Case::open(&case_dir).unwrap();
    for batch in [1, 7, 400, 1 << 16] {
        let mut got = EventTable::default();
        for b in case.events(batch).unwrap() {
            let b = b.unwrap();
            assert!(!b.is_empty() && b.len() <= batch);
            got.extend_from(&b);
        }
        assert_eq!(got, expect, "batch {batch}");
    }
}

/// Runs are written with Snappy, DELTA_BINARY_PACKED for the sorted columns and
/// BYTE_STREAM_SPLIT for the ids; runs of cases written before that (PLAIN + zstd) must
/// still read, as must runs of the writer before (DELTA_BINARY_PACKED everywhere) and a case
/// mixing all three.
#[test]
fn runs_of_earlier_encodings_still_read() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, Encoding, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("case");
    let inv = inventory();
    let (mut w, _, mut cat, _) = CaseWriter::open(&case_dir).unwrap();
    w.set_run_events(1000);
    let t = events(&mut cat, &inv, 3000, 11);
    for piece in 0..3 {
        let mut p = EventTable::default();
        p.extend_from_range(&t, piece * 1000..piece * 1000 + 1000);
        w.push(&p).unwrap();
    }
    let m = w.commit(&cat, &inv, Manifest::default()).unwrap();
    assert!(m.runs.len() >= 2);

    // column 0 is `time`, column 1 `src_host`
    let chunk_of = |path: &std::path::Path, column: usize| {
        let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
        let c = r.metadata().row_group(0).column(column).clone();
        (c.compression(), c.encodings().collect::<Vec<_>>())
    };
    let first = case_dir.join(&m.runs[0].file);
    let (codec, encodings) = chunk_of(&first, 0);
    assert_eq!(codec, Compression::SNAPPY);
    assert!(encodings.contains(&Encoding::DELTA_BINARY_PACKED), "{encodings:?}");
    let (codec, encodings) = chunk_of(&first, 1);
    assert_eq!(codec, Compression::SNAPPY);
    assert!(encodings.contains(&Encoding::BYTE_STREAM_SPLIT), "{encodings:?}");

    // rewrite the first run as the earlier writer did
    let batches: Vec<_> =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&first).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
    let earlier = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap()))
        .set_dictionary_enabled(false)
        .build();
    let mut out = ArrowWriter::try_new(
        std::fs::File::create(&first).unwrap(),
        batches[0].schema(),
        Some(earlier),
    )
    .unwrap();
    for b in &batches {
        out.write(b).unwrap();
    }
    out.close().unwrap();
    let (codec, encodings) = chunk_of(&first, 1);
    assert!(matches!(codec, Compression::ZSTD(_)), "{codec:?}");
    assert!(!encodings.contains(&Encoding::BYTE_STREAM_SPLIT), "{encodings:?}");

    // and the second as the writer before this one did: DELTA_BINARY_PACKED everywhere
    let second = case_dir.join(&m.runs[1].file);
    let batches: Vec<_> =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&second).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
    let delta = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_encoding(Encoding::DELTA_BINARY_PACKED)
        .build();
    let mut out = ArrowWriter::try_new(
        std::fs::File::create(&second).unwrap(),
        batches[0].schema(),
        Some(delta),
    )
    .unwrap();
    for b in &batches {
        out.write(b).unwrap();
    }
    out.close().unwrap();
    let (_, encodings) = chunk_of(&second, 1);
    assert!(encodings.contains(&Encoding::DELTA_BINARY_PACKED), "{encodings:?}");
    // cases of those writers recorded no checksums
    let mpath = case_dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    for run in manifest["runs"].as_array_mut().unwrap() {
        run.as_object_mut().unwrap().remove("sha256");
    }
    std::fs::write(&mpath, serde_json::to_vec(&manifest).unwrap()).unwrap();

    let mut expect = t.clone();
    expect.sort_by_time();
    assert_eq!(Case::open(&case_dir).unwrap().load_events().unwrap(), expect);
}

/// Pieces already in order (a time-ordered log's batches) are written as they come, with
/// ties across pieces kept in push order; out-of-order pieces are sorted: both read back as
/// the sorted concatenation.
#[test]
fn ordered_and_unordered_pieces_read_back_sorted() {
    let inv = inventory();
    for scrambled in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let case_dir = dir.path().join("case");
        let (mut w, _, mut cat, _) = CaseWriter::open(&case_dir).unwrap();
        w.set_run_events(2500);
        let mut t = events(&mut cat, &inv, 3000, 5);
        if !scrambled {
            t.sort_by_time();
        }
        // pieces cut inside runs of equal times
        for (from, to) in [(0, 777), (777, 1500), (1500, 1501), (1501, 3000)] {
            let mut p = EventTable::default();
            p.extend_from_range(&t, from..to);
            w.push(&p).unwrap();
        }
        let m = w.commit(&cat, &inv, Manifest::default()).unwrap();
        assert_eq!(m.events, 3000);
        let mut expect = t.clone();
        expect.sort_by_time();
        let back = Case::open(&case_dir).unwrap().load_events().unwrap();
        assert_eq!(back, expect, "scrambled: {scrambled}");
        assert_eq!(m.runs[0].min_time, expect.time[0]);
    }
}

/// Events pushed in parts go into runs that end only at a cut (or the commit).
#[test]
fn runs_end_only_at_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("case");
    let inv = inventory();
    let (mut w, _, mut cat, _) = CaseWriter::open(&case_dir).unwrap();
    w.set_run_events(1000);
    let t = events(&mut cat, &inv, 3500, 5);
    let part = |range: std::ops::Range<usize>| {
        let mut p = EventTable::default();
        p.extend_from_range(&t, range);
        p
    };
    for piece in 0..3 {
        w.push_part(part(piece * 1000..piece * 1000 + 1000));
    }
    w.cut().unwrap();
    w.push_part(part(3000..3500));
    let m = w.commit(&cat, &inv, Manifest::default()).unwrap();
    assert_eq!(m.runs.iter().map(|r| r.rows).collect::<Vec<_>>(), [3000, 500]);
    let mut expect = t.clone();
    expect.sort_by_time();
    assert_eq!(Case::open(&case_dir).unwrap().load_events().unwrap(), expect);
}
