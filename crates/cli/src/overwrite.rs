//! Writing output without destroying what the user did not ask to overwrite: never into a
//! case directory, never half a file in place of a good one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// `path` made absolute with symbolic links resolved, as far as it exists (the rest, not
/// created yet, appended as given).
fn resolved(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(cur) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (cur.file_name(), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return abs,
        }
    }
}

/// The case directory `path` is in (or is), if any: a directory holding `manifest.json` and
/// `events/`.
pub fn case_containing(path: &Path) -> Option<PathBuf> {
    let p = resolved(path);
    p.ancestors()
        .find(|a| a.join(hopscope_case::MANIFEST).is_file() && a.join("events").is_dir())
        .map(Path::to_path_buf)
}

/// Refuse an output path inside a case directory: writing there could destroy the case
/// (`--out CASE/manifest.json`) or leave files no manifest names.
pub fn refuse_inside_case(path: &Path, flag: &str) -> Result<()> {
    if let Some(case) = case_containing(path) {
        bail!(
            "{flag} {}: is inside the case directory {}; hopscope does not write into a case \
             (choose a path outside it)",
            path.display(),
            case.display()
        );
    }
    Ok(())
}

/// Refuse to write over a file the case was read from: `--out` naming one of its evidence
/// files (the same file as a source path it recorded, or a file of the same size and SHA-256
/// as a source, wherever it was ingested from) would destroy the evidence.
pub fn refuse_evidence(path: &Path, case: &hopscope_case::Case, flag: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    if !meta.is_file() {
        return Ok(());
    }
    let same_size: Vec<_> =
        case.manifest.sources.iter().filter(|s| s.bytes == meta.len()).collect();
    let same_file = case.manifest.sources.iter().find(|s| {
        std::fs::metadata(&s.path).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    });
    let source = match same_file {
        Some(s) => Some(s),
        None if same_size.iter().any(|s| s.sha256.is_some()) => {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            let mut f = std::fs::File::open(path)
                .with_context(|| format!("{flag} {}: cannot read", path.display()))?;
            std::io::copy(&mut f, &mut h)
                .with_context(|| format!("{flag} {}: cannot read", path.display()))?;
            let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            same_size.into_iter().find(|s| s.sha256.as_deref() == Some(hex.as_str()))
        }
        None => None,
    };
    if let Some(s) = source {
        bail!(
            "{flag} {}: is evidence this case was read from (source {}, {}); hopscope does not \
             write over evidence (choose another path)",
            path.display(),
            s.id,
            s.path
        );
    }
    Ok(())
}

/// Claim `dir` for `command` (`simulate`, `demo`), which fills it with files of its own: it
/// must be new, empty, or made by `command` before (it holds `.hopscope-COMMAND`, written
/// here), unless `force`; never inside a case. `writes` names what the command writes there,
/// for the refusal. So a rerun replaces its own output, and nothing the user put there.
pub fn claim_dir(dir: &Path, force: bool, command: &str, writes: &str) -> Result<()> {
    refuse_inside_case(dir, "--out")?;
    let marker = format!(".hopscope-{command}");
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut held: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().escape_debug().to_string())
            .collect();
        held.sort();
        if !held.is_empty() && !held.contains(&marker) && !force {
            bail!(
                "--out {}: is not empty and was not made by `hopscope {command}` (holds {}); \
                 {command} writes {writes} there. Choose a new directory, or give --force to \
                 write over it",
                dir.display(),
                held.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            );
        }
    } else if dir.exists() {
        bail!("--out {}: is not a directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("--out {}", dir.display()))?;
    std::fs::write(
        dir.join(&marker),
        format!("made by hopscope {command}: a rerun may write over this directory\n"),
    )
    .with_context(|| format!("--out {}", dir.display()))?;
    Ok(())
}

/// Write a file whole or not at all: into a temporary file in the same directory, renamed
/// over `path` once `fill` has succeeded. A failure leaves the previous file as it was. A
/// path that is not a regular file (`/dev/stdout`, a pipe) is written directly.
pub fn write_file(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("{}: cannot open for writing", path.display()))?;
        fill(&mut f)?;
        return f.flush().with_context(|| format!("writing {}", path.display()));
    }
    let tmp = temporary_beside(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
    fill(&mut w)?;
    let tmp = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", path.display()))?;
    commit(tmp, path)
}

/// A temporary file in `path`'s directory (removed when dropped unless committed).
pub fn temporary_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("{}: cannot create a file in {}", path.display(), dir.display()))
}

/// Flush a temporary file to disk and rename it over `path`.
pub fn commit(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    tmp.as_file().sync_all().with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_directory_is_claimed_when_new_empty_made_by_the_command_or_forced() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        let claim = |dir: &str, force: bool| super::claim_dir(&p.join(dir), force, "demo", "x");
        claim("new/deeper", false).unwrap();
        assert!(p.join("new/deeper/.hopscope-demo").is_file());
        claim("new/deeper", false).unwrap(); // a rerun
        std::fs::create_dir(p.join("empty")).unwrap();
        claim("empty", false).unwrap();
        std::fs::create_dir(p.join("theirs")).unwrap();
        std::fs::write(p.join("theirs/hosts.csv"), "real").unwrap();
        let err = claim("theirs", false).unwrap_err().to_string();
        assert!(err.contains("hosts.csv") && err.contains("--force"), "{err}");
        assert!(!p.join("theirs/.hopscope-demo").exists());
        // made by another command is not made by this one
        super::claim_dir(&p.join("sim"), false, "simulate", "x").unwrap();
        assert!(claim("sim", false).is_err());
        claim("theirs", true).unwrap();
        assert_eq!(std::fs::read_to_string(p.join("theirs/hosts.csv")).unwrap(), "real");
        std::fs::write(p.join("file"), "a file").unwrap();
        assert!(claim("file", true).is_err(), "a file is not a directory");
    }
}
