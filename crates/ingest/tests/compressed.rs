//! Compressed inputs are read directly and give the same events, with the same line
//! numbers, as the plain file.

mod support;

use std::io::Write;

use hopscope_ingest::IngestOptions;
use hopscope_model::Inventory;

const LANL: &str = "\
1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success
2,U22@DOM1,U22@DOM1,C1065,C586,Kerberos,Network,LogOn,Success
not a lanl line
3,?,?,?,C586,?,?,AuthMap,?
";

#[test]
fn gzip_and_zstd_read_like_plain() {
    let d = tempfile::tempdir().unwrap();
    let plain = d.path().join("auth.txt");
    std::fs::write(&plain, LANL).unwrap();
    // names say nothing: compression is recognised by magic bytes
    let gz = d.path().join("auth-gz.log");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    e.write_all(LANL.as_bytes()).unwrap();
    e.finish().unwrap();
    let zst = d.path().join("auth-zst.log");
    std::fs::write(&zst, zstd::encode_all(LANL.as_bytes(), 3).unwrap()).unwrap();

    let read = |p: &std::path::Path| {
        support::ingest_with(&[p.to_path_buf()], IngestOptions::default(), &Inventory::default())
    };
    let base = read(&plain);
    assert_eq!(base.events.len(), 3);
    assert_eq!(base.summary.problems.total(), 1);
    for (p, kind) in [(&gz, "gzip"), (&zst, "zstd")] {
        let got = read(p);
        assert_eq!(got.summary.sources[0].compressed, Some(kind));
        assert_eq!(got.events.time, base.events.time, "{kind}");
        assert_eq!(
            got.events.position, base.events.position,
            "{kind}: line numbers of the decompressed text"
        );
        assert_eq!(got.summary.problems.counts, base.summary.problems.counts, "{kind}");
        assert_eq!(
            got.summary.problems.first().unwrap().position,
            hopscope_model::Position::Line(3)
        );
    }
}
