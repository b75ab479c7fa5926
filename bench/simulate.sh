#!/usr/bin/env sh
# Throughput of the simulator (release build): events written per second.
#   bench/simulate.sh [scale] [formats] [out_dir]
# Defaults: scale 20 of ntt-2019 (≈4.8M sshd+winjson events), output on /dev/shm when it
# exists (to measure the generator, not the disk). Prints the summary JSON and, on stderr,
# "N events (M logins) in S s: R events/s, T threads".
set -eu
scale="${1:-20}"
formats="${2:-sshd,winjson}"
out="${3:-}"
if [ -z "$out" ]; then
  if [ -d /dev/shm ]; then out=/dev/shm/hopscope-sim-bench; else out="${TMPDIR:-/tmp}/hopscope-sim-bench"; fi
fi
cd "$(dirname "$0")/.."
cargo build --release -q -p hopscope-sim --example simulate
target="${CARGO_TARGET_DIR:-target}"
rm -rf "$out"
"$target/release/examples/simulate" "$out" ntt-2019 "$scale" "$formats" 2019 1 >/dev/null
du -sh "$out" >&2
rm -rf "$out"
