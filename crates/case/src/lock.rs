//! One writer at a time: an advisory lock the operating system releases when its holder ends,
//! however it ends (exit, panic, kill -9, power loss).
//!
//! Every command that writes into a case directory holds the case's lock (`CASE/.lock`) while
//! it writes; a second writer is refused at once, naming the process that holds it. Readers
//! never take it: the manifest's rename is the commit point, so a reader sees the last
//! committed case whatever a writer is doing. The same type guards any other file written by
//! one process at a time (`watch --state`): [`WriterLock::beside`] locks `FILE.lock`.
//!
//! The lock is `flock(2)`-style through std's `File::try_lock` (advisory: it binds hopscope
//! processes, not other programs). The lock file is never deleted: removing it while another
//! process waits on it would let two writers hold two different files.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::CaseError;

/// The name of a case directory's lock file.
pub const CASE_LOCK: &str = ".lock";

/// A held writer's lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Take the lock held in `lock_file` (created when missing), or fail at once with
    /// [`CaseError::Locked`] when another process holds it. `what` names what is being
    /// written, for the message (`"case c1"`, `"watch state s.bin"`).
    pub fn acquire(lock_file: &Path, what: &str) -> Result<WriterLock, CaseError> {
        // a lock file that is a symbolic link could make us truncate what it points to
        if let Ok(m) = std::fs::symlink_metadata(lock_file) {
            if !m.file_type().is_file() {
                return Err(CaseError::Io {
                    path: lock_file.display().to_string(),
                    message: "is not a regular file (a lock file must be one); remove it".into(),
                });
            }
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_file)
            .map_err(|e| CaseError::io(lock_file, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut said = String::new();
                let _ = file.read_to_string(&mut said);
                let holder = said.lines().next().unwrap_or("").trim();
                let holder = if holder.is_empty() || holder.len() > 64 {
                    "another process".to_string()
                } else {
                    format!("another process ({holder})")
                };
                return Err(CaseError::Locked {
                    path: lock_file.display().to_string(),
                    message: format!(
                        "{holder} is writing {what}; wait for it to finish (one writer at a time)"
                    ),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(CaseError::io(lock_file, e)),
        }
        // who holds it, for the message a second writer gets (best effort: the lock is what counts)
        let _ = file.set_len(0);
        let _ = file.write_all(format!("pid {}\n", std::process::id()).as_bytes());
        let _ = file.flush();
        Ok(WriterLock { file, path: lock_file.to_path_buf() })
    }

    /// The lock of a case directory (`DIR/.lock`); the directory must exist.
    pub fn for_case(dir: &Path) -> Result<WriterLock, CaseError> {
        WriterLock::acquire(&dir.join(CASE_LOCK), &format!("case {}", dir.display()))
    }

    /// The lock of a file written by one process at a time: `FILE.lock` beside it.
    pub fn beside(file: &Path) -> Result<WriterLock, CaseError> {
        let mut name = file.as_os_str().to_owned();
        name.push(".lock");
        WriterLock::acquire(Path::new(&name), &file.display().to_string())
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // the OS releases it with the file anyway; unlock first so the pid line can be cleared
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_until_the_first_releases() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriterLock::for_case(dir.path()).unwrap();
        let second = WriterLock::for_case(dir.path()).unwrap_err();
        let msg = second.to_string();
        assert!(matches!(second, CaseError::Locked { .. }), "{msg}");
        assert!(msg.contains(&format!("pid {}", std::process::id())), "{msg}");
        drop(first);
        WriterLock::for_case(dir.path()).unwrap();
    }

    #[test]
    fn beside_locks_a_file_of_its_own_and_leaves_the_guarded_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.bin");
        std::fs::write(&state, b"checkpoint").unwrap();
        let l = WriterLock::beside(&state).unwrap();
        assert_eq!(l.path(), dir.path().join("state.bin.lock"));
        assert!(WriterLock::beside(&state).is_err());
        assert_eq!(std::fs::read(&state).unwrap(), b"checkpoint");
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, b"keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(CASE_LOCK)).unwrap();
        assert!(WriterLock::for_case(dir.path()).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    }
}
