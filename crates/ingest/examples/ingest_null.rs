//! Run the ingest pipeline over files with a sink that drops events: measures parsing and
//! absorption without the case store. `ingest_null FILE...`
use hopscope_ingest::{discover, run, IngestOptions, SinkItem};
use hopscope_model::{Catalog, Inventory};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let files = discover(&paths).expect("inputs");
    let mut cat = Catalog::default();
    let mut n = 0u64;
    let t = std::time::Instant::now();
    let s = run(
        &files,
        &IngestOptions::default(),
        &mut cat,
        &Inventory::default(),
        &mut |i| {
            if let SinkItem::Events(e) = i {
                n += e.len() as u64;
            }
            Ok(())
        },
        &|_| {},
    )
    .expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{} events ({} problems) in {secs:.2}s = {:.2} M/s",
        n,
        s.problems.total(),
        n as f64 / secs / 1e6
    );
}
