//! Running the `hopscope` binary in a directory, for the end-to-end tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Run `hopscope ARGS` in `cwd` without colour.
pub fn hopscope(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hopscope")).args(args).current_dir(cwd).env("NO_COLOR", "1").output().unwrap()
}

/// Run it, insist on success, return standard output.
pub fn ok(args: &[&str], cwd: &Path) -> String {
    let o = hopscope(args, cwd);
    assert!(o.status.success(), "hopscope {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}
