//! Running the `hopscope` binary in a directory, for the end-to-end tests.
#![allow(dead_code)]

pub mod leaks;
pub mod story;

use std::path::Path;
use std::process::{Command, Output};

/// Run `hopscope ARGS` in `cwd` without colour.
pub fn hopscope(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Run it, insist on success, return standard output.
pub fn ok(args: &[&str], cwd: &Path) -> String {
    let o = hopscope(args, cwd);
    assert!(o.status.success(), "hopscope {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Compare `actual` with the golden file `tests/golden/NAME`; `UPDATE_EXPECT=1` rewrites it.
/// Review the diff of a rewritten golden file like code.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "output differs from {} (UPDATE_EXPECT=1 to accept):\n{actual}",
        path.display()
    );
}
