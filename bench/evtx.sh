#!/usr/bin/env bash
# Throughput of Windows ingest: `evtx_dump -o jsonl` vs hopscope on the same EVTX files, and
# Windows JSON lines (OTRF zips unpacked, plus a synthetic LANL-wls file) in events/s.
#
#   bench/evtx.sh [CORPUS_DIR]      (default: ../shared/corpus beside the checkout)
#
# Installs what it needs: evtx_dump (cargo install evtx --locked) and hyperfine (apt).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-$here/../shared/corpus}"
target="${CARGO_TARGET_DIR:-$here/target}"
command -v evtx_dump >/dev/null || cargo install evtx --locked
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
(cd "$here" && cargo build --release -q -p hopscope-ingest --example ingest_bench)
bin="$target/release/examples/ingest_bench"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

# EVTX: the intact Security/System samples, copied 20 times so a run lasts long enough to time
mkdir -p "$work/evtx"
for i in $(seq 1 20); do
  for f in security.evtx system.evtx Security_with_size_t.evtx post-Security.evtx 2-vss_7-System.evtx; do
    cp "$corpus/windows-evtx/evtx-crate-samples/$f" "$work/evtx/$i-$f"
  done
done
echo "EVTX input: $(ls "$work/evtx" | wc -l) files, $(du -sh "$work/evtx" | cut -f1)"
hyperfine --warmup 1 --runs 5 \
  -n 'evtx_dump -o jsonl' "for f in $work/evtx/*.evtx; do evtx_dump -o jsonl \"\$f\"; done > /dev/null" \
  -n 'evtx_dump -o jsonl (-t 1)' "for f in $work/evtx/*.evtx; do evtx_dump -t 1 -o jsonl \"\$f\"; done > /dev/null" \
  -n 'hopscope ingest --format evtx' "$bin --format evtx $work/evtx" \
  -n 'hopscope ingest --format evtx (1 thread)' "RAYON_NUM_THREADS=1 $bin --threads 1 --format evtx $work/evtx"
"$bin" --format evtx "$work/evtx" 2>&1 | tail -1

# Windows JSON: OTRF zips unpacked (mostly Sysmon lines skipped by event id), one thread
mkdir -p "$work/json"
for z in "$corpus"/windows-json/otrf-lateral-movement/*.zip; do unzip -q -o "$z" -d "$work/json"; done
echo "OTRF JSON lines: $(cat "$work"/json/*.json | wc -l) lines, $(du -sh "$work/json" | cut -f1)"
RAYON_NUM_THREADS=1 /usr/bin/time -f "%U s user, %S s sys, %e s wall" "$bin" --threads 1 --format winjson "$work/json" 2>&1 | tail -2
# every line an event: LANL 2017 wls-shaped 4624 logons, 1,000,000 lines, one thread
python3 - "$work/wls.json" <<'PY'
import sys, random
random.seed(1)
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        f.write('{"UserName":"User%06d","EventID":4624,"LogHost":"Comp%06d","LogonID":"0x%x","DomainName":"Domain001",'
                '"LogonTypeDescription":"Network","Source":"Comp%06d","AuthenticationPackage":"Kerberos","Time":%d,"LogonType":3}\n'
                % (random.randrange(50000), random.randrange(20000), random.randrange(1 << 32), random.randrange(20000), i))
PY
RAYON_NUM_THREADS=1 /usr/bin/time -f "%U s user, %S s sys, %e s wall" "$bin" --threads 1 --format winjson "$work/wls.json" 2>&1 | tail -2
# every line an event: the OTRF 4624 lines (NXLog dialect, ~3 KB each) repeated
grep -hE '"EventID": ?4624[,}]' "$work"/json/*.json > "$work/one.json"
for i in $(seq 1 1000); do cat "$work/one.json"; done > "$work/nxlog4624.json"
RAYON_NUM_THREADS=1 /usr/bin/time -f "%U s user, %S s sys, %e s wall" "$bin" --threads 1 --format winjson "$work/nxlog4624.json" 2>&1 | tail -2
