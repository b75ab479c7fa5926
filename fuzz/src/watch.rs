//! The watch checkpoint target: the input is a checkpoint's payload, framed as `watch` frames
//! it (magic line, version, length, checksum), so that the fuzzer reaches the decoder instead
//! of being stopped by the checksum; a damaged header is plain code checked by the CLI tests.

use std::path::Path;

use crate::watch_state;

pub fn run(payload: &[u8], scratch: &Path) {
    let dir = scratch.join("state");
    let _ = std::fs::create_dir_all(&dir);
    let mut bytes = Vec::with_capacity(payload.len() + 64);
    bytes.extend_from_slice(b"hopscope-watch-state\n");
    bytes.extend_from_slice(&watch_state::VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&watch_state::fnv(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    std::fs::write(dir.join(watch_state::FILE), &bytes).expect("write the checkpoint");
    // a checkpoint that decodes must be one a restart can use: each input's queue is a
    // well-formed table (as many values in every column)
    if let Ok(Some(cp)) = watch_state::load(&dir) {
        for input in &cp.inputs {
            let n = input.queue.len();
            assert_eq!(input.queue.iter().count(), n);
        }
    }
}
