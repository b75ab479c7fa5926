//! A big line file is cut into chunks parsed in parallel (with each worker's dictionary
//! kept across chunks, and lines prefetched a few ahead): whatever the chunk size and the
//! number of workers, the events, names, line numbers and problems are those of reading the
//! file in one piece.

mod support;

use std::fmt::Write;

use hopscope_ingest::IngestOptions;
use hopscope_model::Inventory;

/// LANL lines with repeats, bad lines, an empty line, a CRLF line, lines that are not
/// UTF-8, long names (beyond the interner's inline keys) and a last line without a newline.
fn lanl_text() -> String {
    let mut s = String::new();
    let mut x: u64 = 7;
    for i in 0..3000u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let (a, b, u) = ((x >> 33) % 97, (x >> 45) % 89, (x >> 20) % 61);
        let t = 1 + i / 7;
        match i % 211 {
            13 => s.push_str("not,a,lanl,line\n"),
            14 => s.push('\n'),
            // made invalid UTF-8 below
            18 => writeln!(s, "{t},INVALID@DOM1,U{u}@DOM1,C{a},C{b},NTLM,Network,LogOn,Success").unwrap(),
            15 => writeln!(s, "{t},U{u}@DOM1,U{u}@DOM1,C{a},C{b},NTLM,Teleport,LogOn,Success").unwrap(),
            16 => writeln!(s, "{t},U{u}@DOM1,U{u}@DOM1,C{a},C{b},NTLM,Network,LogOn,Success\r").unwrap(),
            17 => writeln!(s, "{t},a-rather-long-account-name-{u}@DOM1,?,C{a}.some.long.domain.example,C{b},?,?,TGS,Fail").unwrap(),
            _ if x & 3 == 0 => writeln!(s, "{t},C{a}$@DOM1,C{a}$@DOM1,C{a},C{b},Kerberos,Network,LogOn,Success").unwrap(),
            _ => writeln!(s, "{t},U{u}@DOM1,U{}@DOM{},C{a},C{b},Negotiate,Batch,LogOff,Success", u + 1, u % 3).unwrap(),
        }
    }
    s.push_str("999,U1@DOM1,U1@DOM1,C1,C2,NTLM,Network,LogOn,Success");
    s
}

#[test]
fn chunks_read_like_one_piece() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("auth.txt");
    let text = lanl_text();
    let bytes: Vec<u8> = text.split("INVALID").collect::<Vec<_>>().join("U\u{1}").into_bytes();
    let bytes: Vec<u8> = bytes.iter().map(|&b| if b == 1 { 0xff } else { b }).collect();
    assert!(std::str::from_utf8(&bytes).is_err());
    std::fs::write(&path, bytes).unwrap();
    let read = |chunk_bytes: u64, threads: usize| {
        let opts = IngestOptions { chunk_bytes, threads, ..Default::default() };
        support::ingest_with(std::slice::from_ref(&path), opts, &Inventory::default())
    };
    let whole = read(1 << 30, 1);
    assert!(whole.events.len() > 2900, "{}", whole.events.len());
    assert!(whole.summary.problems.total() >= 20, "{:?}", whole.summary.problems);
    assert!(
        whole.summary.problems.counts.get(&hopscope_ingest::ProblemKind::InvalidUtf8) >= Some(&10)
    );
    // chunked files are hashed from the chunks as they are read; the whole file on its own
    assert_eq!(whole.summary.sources[0].sha256.as_ref().map(String::len), Some(64));
    for (chunk_bytes, threads) in [(64, 1), (100, 2), (1000, 3), (4096, 2), (50_000, 2)] {
        let got = read(chunk_bytes, threads);
        let what = format!("{chunk_bytes}-byte chunks, {threads} workers");
        assert_eq!(got.events, whole.events, "{what}");
        assert_eq!(got.summary.sources[0].lines, whole.summary.sources[0].lines, "{what}");
        assert_eq!(got.summary.problems.counts, whole.summary.problems.counts, "{what}");
        assert_eq!(
            got.summary.problems.examples, whole.summary.problems.examples,
            "{what}: problems located alike"
        );
        assert_eq!(got.summary.sources[0].sha256, whole.summary.sources[0].sha256, "{what}");
        let names = |x: &support::Ingested| {
            (0..x.events.len())
                .map(|i| {
                    let e = x.events.get(i);
                    (
                        x.catalog.hosts.name(e.src_host).map(str::to_string),
                        x.catalog.hosts.name(e.dst_host).map(str::to_string),
                        x.catalog.accounts.get(e.user).map(|a| a.display()),
                        x.catalog.accounts.get(e.src_user).map(|a| a.display()),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&got), names(&whole), "{what}");
    }
}

/// The sink is told where each `cut_bytes` piece of the file ends, whatever the chunk size:
/// the events between two cuts (what the case writer may end a run on) are the same.
#[test]
fn cuts_do_not_depend_on_the_chunk_size() {
    use hopscope_ingest::{discover, run, SinkItem};
    use hopscope_model::Catalog;

    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("auth.txt");
    std::fs::write(&path, lanl_text()).unwrap();
    let files = discover(std::slice::from_ref(&path)).unwrap();
    let groups = |chunk_bytes: u64, threads: usize| {
        let opts = IngestOptions { chunk_bytes, cut_bytes: 16_384, threads, ..Default::default() };
        let mut sizes = vec![0usize];
        let mut sink = |item: SinkItem| {
            match item {
                SinkItem::Events(t) => *sizes.last_mut().unwrap() += t.len(),
                SinkItem::Cut => sizes.push(0),
                SinkItem::Labels(_) => {}
            }
            Ok(())
        };
        run(&files, &opts, &mut Catalog::default(), &Inventory::default(), &mut sink, &|_| {})
            .unwrap();
        sizes
    };
    let expect = groups(16_384, 1);
    assert!(expect.len() > 5, "{expect:?}");
    assert_eq!(expect.last(), Some(&0), "a cut after the last piece");
    for (chunk_bytes, threads) in [(4096, 2), (1024, 2), (8192, 3)] {
        assert_eq!(
            groups(chunk_bytes, threads),
            expect,
            "{chunk_bytes}-byte chunks, {threads} workers"
        );
    }
}
