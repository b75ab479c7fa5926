#!/usr/bin/env bash
# EVTX ingest throughput of two commits, side by side in one hyperfine run: the same input as
# bench/evtx.sh (the intact Security/System samples of evtx-crate-samples copied 20 times:
# 100 files, 74 MB, 121,280 records), release builds of `ingest_bench`, all threads and one.
#
#   bench/evtx-compare.sh BEFORE [AFTER] [CORPUS_DIR]
#       BEFORE, AFTER: commits (AFTER defaults to the work tree as it is)
#
# BEFORE is built in a temporary `git worktree` (removed on exit) with this checkout's target
# directory, so only what differs is rebuilt. hyperfine from Debian when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
before="${1:?usage: bench/evtx-compare.sh BEFORE [AFTER] [CORPUS_DIR]}"
after="${2:-}"
corpus="${3:-$here/../shared/corpus}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
work="$(mktemp -d)"
cleanup() {
  for t in "$work"/tree-*; do [ -d "$t" ] && git -C "$here" worktree remove --force "$t"; done
  rm -rf "$work"
}
trap cleanup EXIT

# Workspace crates keep their artifact names whatever their path, and cargo decides freshness
# by modification times: touch the sources before each build so neither tree's artifacts pass
# for the other's.
build() { # build SRC_DIR OUT
  find "$1/crates" -name '*.rs' -exec touch {} +
  (cd "$1" && cargo build --release -q -p hopscope-ingest --example ingest_bench)
  cp "$CARGO_TARGET_DIR/release/examples/ingest_bench" "$2"
}
git -C "$here" worktree add -q --detach "$work/tree-before" "$before"
build "$work/tree-before" "$work/before"
if [ -n "$after" ]; then
  git -C "$here" worktree add -q --detach "$work/tree-after" "$after"
  build "$work/tree-after" "$work/after"
else
  build "$here" "$work/after"
fi

mkdir -p "$work/evtx"
for i in $(seq 1 20); do
  for f in security.evtx system.evtx Security_with_size_t.evtx post-Security.evtx 2-vss_7-System.evtx; do
    cp "$corpus/windows-evtx/evtx-crate-samples/$f" "$work/evtx/$i-$f"
  done
done
echo "EVTX input: $(ls "$work/evtx" | wc -l) files, $(du -sh "$work/evtx" | cut -f1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N --warmup 1 --runs "${RUNS:-10}" --export-json "$work/hf.json" \
  -n "before ($before)" "$work/before --format evtx $work/evtx" \
  -n "after (${after:-work tree})" "$work/after --format evtx $work/evtx" \
  -n "before, 1 thread" "env RAYON_NUM_THREADS=1 $work/before --threads 1 --format evtx $work/evtx" \
  -n "after, 1 thread" "env RAYON_NUM_THREADS=1 $work/after --threads 1 --format evtx $work/evtx" \
  > /dev/null
python3 - "$work/hf.json" <<'PY'
import json, sys
print("| command | wall mean ± σ | CPU (user + sys) |")
print("|---|---|---|")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {r['command']} | {r['mean']*1000:.0f} ms ± {r['stddev']*1000:.0f} | {(r['user']+r['system'])*1000:.0f} ms |")
PY
