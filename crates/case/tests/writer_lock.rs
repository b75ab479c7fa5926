//! One writer at a time on a case: a second writer is refused while the first holds the lock,
//! and gets it once the first is done (or gone).

use hopscope_case::{Case, CaseError, CaseWriter, Manifest};
use hopscope_model::*;

fn events(cat: &mut Catalog, n: usize, from: i64) -> EventTable {
    let mut t = EventTable::default();
    let src = cat.sources.intern("a.log");
    let user = cat.accounts.intern("alice", None);
    for i in 0..n {
        t.push(&Event {
            time: Time((from + i as i64) * 1_000_000),
            src_host: 0,
            src_ip: 0,
            dst_host: 0,
            dst_ip: 0,
            user,
            src_user: 0,
            auth: 0,
            logon_type: LogonType::Network,
            outcome: Outcome::Success,
            orientation: Orientation::LogOn,
            format: SourceFormat::Lanl,
            event_id: 0,
            flags: EventFlags::default(),
            evidence: Evidence { source: src, position: Position::Line(i as u64 + 1) },
        });
    }
    t
}

#[test]
fn a_second_writer_is_refused_while_the_first_writes_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let inv = Inventory::default();
    let (mut first, _, mut cat, _) = CaseWriter::open(&case).unwrap();
    first.push(&events(&mut cat, 100, 0)).unwrap();

    // new case, and appending to a committed one: refused either way while the first writes
    let err = CaseWriter::open(&case).err().expect("second writer refused");
    assert!(matches!(err, CaseError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("one writer at a time"), "{err}");
    first.commit(&cat, &inv, Manifest::default()).unwrap();

    let (mut second, existing, mut cat, _) = CaseWriter::open(&case).unwrap();
    assert_eq!(existing.unwrap().generation, 1);
    second.push(&events(&mut cat, 50, 1000)).unwrap();
    assert!(matches!(CaseWriter::open(&case), Err(CaseError::Locked { .. })));
    second.commit(&cat, &inv, Manifest::default()).unwrap();

    // readers were never blocked, and every event of both writers is there
    let c = Case::open(&case).unwrap();
    assert_eq!((c.manifest.generation, c.manifest.events), (2, 150));
    assert_eq!(c.load_events().unwrap().len(), 150);
}

#[test]
fn a_writer_that_fails_before_commit_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let (mut w, _, mut cat, _) = CaseWriter::open(&case).unwrap();
    w.push(&events(&mut cat, 10, 0)).unwrap();
    drop(w); // an error path: the writer is dropped without a commit
    let (w, existing, _, _) = CaseWriter::open(&case).unwrap();
    assert!(existing.is_none());
    drop(w);
}
