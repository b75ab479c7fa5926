//! Results saved into a case (`detect --save`): tables derived from the events, committed
//! through the manifest like everything else in the case.
//!
//! A save writes its tables as new files (`results/NAME-G-N.parquet`), then the manifest
//! naming them: a reader sees the previous save or this one, never a mix. The files a save
//! replaced stay until the next save (a reader that read the previous manifest can still open
//! them), which removes every file of `results/` the manifest does not name. A save holds the
//! case's lock and is refused when the case changed since the results were computed.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;

use crate::lock::WriterLock;
use crate::manifest::{Manifest, SavedTable};
use crate::reader::{inside, read_manifest, sha256_of};
use crate::tables::write_atomic;
use crate::writer::write_manifest;
use crate::CaseError;

/// The folder of saved results in a case.
pub const RESULTS: &str = "results";

/// The path of a saved table the manifest names: a plain file name in `results/`, inside the
/// case directory.
pub(crate) fn result_path(dir: &Path, file: &str) -> Result<PathBuf, CaseError> {
    let rel = Path::new(file);
    let mut parts = rel.components();
    use std::path::Component;
    let plain = matches!(parts.next(), Some(Component::Normal(e)) if e == RESULTS)
        && matches!(parts.next(), Some(Component::Normal(_)))
        && parts.next().is_none();
    if !plain || file.contains('\\') {
        return Err(CaseError::corrupt(
            &dir.join(crate::MANIFEST),
            format!(
                "names saved table {:?}, which is not a file in the case's results/ directory; refused",
                file.escape_debug().to_string()
            ),
        ));
    }
    let path = dir.join(rel);
    inside(dir, &path)?;
    Ok(path)
}

/// Save `tables` (name, rows) into the case at `dir`, computed over its generation
/// `generation` with `settings` (in words). Tables of other names saved before are kept.
pub fn save_tables(
    dir: &Path,
    generation: u32,
    settings: &str,
    tables: Vec<(String, RecordBatch)>,
) -> Result<Manifest, CaseError> {
    let _lock = WriterLock::for_case(dir)?;
    let m = read_manifest(dir)?;
    if m.generation != generation {
        return Err(CaseError::Io {
            path: dir.display().to_string(),
            message: format!(
                "changed while the results were computed (generation {generation}, now {}); run the command again",
                m.generation
            ),
        });
    }
    // a link to a folder of the user's would have its files removed as earlier saves'
    let folder = crate::writer::own_folder(dir, RESULTS)?;
    // what no manifest names: tables an earlier save replaced, and saves that died
    let named = |f: &str| m.saved.iter().any(|s| s.file == format!("{RESULTS}/{f}"));
    let mut taken = 0u32;
    for e in std::fs::read_dir(&folder).map_err(|e| CaseError::io(&folder, e))?.flatten() {
        let f = e.file_name().to_string_lossy().to_string();
        if named(&f) {
            taken = taken.max(sequence(&f).unwrap_or(0));
        } else if sequence(&f).is_some() || f.ends_with(".parquet.tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let mut saved: Vec<SavedTable> = Vec::new();
    let written = (|| {
        for (i, (name, batch)) in tables.into_iter().enumerate() {
            let file =
                format!("{RESULTS}/{name}-{generation:05}-{:05}.parquet", taken + 1 + i as u32);
            let path = result_path(dir, &file)?;
            write_atomic(&path, &batch)?;
            saved.push(SavedTable {
                name,
                file,
                sha256: String::new(),
                rows: batch.num_rows() as u64,
                generation,
                settings: settings.to_string(),
            });
            let t = saved.last_mut().expect("just pushed");
            t.sha256 = sha256_of(&path)?;
        }
        let mut m = m.clone();
        m.saved.retain(|s| !saved.iter().any(|n| n.name == s.name));
        m.saved.extend(saved.iter().cloned());
        m.saved.sort_by(|a, b| a.name.cmp(&b.name));
        write_manifest(dir, &m)?;
        Ok(m)
    })();
    if written.is_err() {
        // a save that fails (a full disk) leaves none of its files: the case as it was
        for t in &saved {
            let _ = std::fs::remove_file(dir.join(&t.file));
        }
    }
    written
}

/// The sequence number of a saved table's file name (`NAME-G-N.parquet`).
fn sequence(file: &str) -> Option<u32> {
    let stem = file.strip_suffix(".parquet")?;
    let (rest, n) = stem.rsplit_once('-')?;
    let (_, g) = rest.rsplit_once('-')?;
    (n.len() == 5 && g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit()))
        .then(|| n.parse().ok())
        .flatten()
}

/// The file of a saved table, refused unless it is in `results/` and its SHA-256 is the one
/// the manifest recorded.
pub fn saved_table_path(dir: &Path, t: &SavedTable) -> Result<PathBuf, CaseError> {
    let path = result_path(dir, &t.file)?;
    crate::reader::check_sha256(&path, &t.sha256)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_replaces_its_tables_and_is_refused_when_the_case_changed() {
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (w, ..) = crate::CaseWriter::open(d).unwrap();
        let m = w.commit(&Default::default(), &Default::default(), Manifest::default()).unwrap();
        let batch = || {
            let col: arrow_array::ArrayRef = Arc::new(arrow_array::UInt32Array::from(vec![1, 2]));
            RecordBatch::try_from_iter(vec![("x", col)]).unwrap()
        };
        let save = |g| save_tables(d, g, "settings", vec![("t".to_string(), batch())]);
        let e = save(m.generation + 1).unwrap_err().to_string();
        assert!(e.contains("changed while"), "{e}");
        assert!(read_manifest(d).unwrap().saved.is_empty());
        let m1 = save(m.generation).unwrap();
        assert_eq!((m1.saved.len(), m1.saved[0].rows), (1, 2));
        assert_eq!(m1.generation, m.generation, "a save adds no generation");
        let m2 = save(m.generation).unwrap();
        let (f1, f2) = (d.join(&m1.saved[0].file), d.join(&m2.saved[0].file));
        assert_ne!(f1, f2);
        assert!(f1.exists(), "kept for readers of the previous manifest");
        let m3 = save(m.generation).unwrap();
        assert!(!f1.exists() && f2.exists());
        let t = &m3.saved[0];
        assert_eq!(saved_table_path(d, t).unwrap(), d.join(&t.file));
        std::fs::write(d.join(&t.file), b"changed").unwrap();
        assert!(saved_table_path(d, t).is_err());
        let mut bad = t.clone();
        bad.file = "../manifest.json".into();
        assert!(saved_table_path(d, &bad).is_err());
    }

    #[test]
    fn sequence_numbers_of_saved_files() {
        assert_eq!(sequence("alerts-00003-00012.parquet"), Some(12));
        assert_eq!(sequence("alert_hops-00001-00002.parquet"), Some(2));
        assert_eq!(sequence("alerts.parquet"), None);
        assert_eq!(sequence("notes.txt"), None);
    }
}
