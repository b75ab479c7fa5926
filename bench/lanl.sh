#!/usr/bin/env bash
# LANL ingest throughput and peak memory, against `wc -l` on the same file as the I/O floor.
#
#   bench/lanl.sh [LINES]        (default 20,000,000 lines, ~1.3 GB)
#
# Needs: cargo, GNU time (/usr/bin/time, Debian package `time`). Writes bench/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-20000000}
DATA=bench/data
mkdir -p "$DATA"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

cargo build --release -q -p hopscope -p hopscope-ingest --examples --bins
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/hopscope
FILE=$DATA/auth-$LINES.txt
if [ ! -s "$FILE" ]; then
  echo "generating $FILE ..." >&2
  "$TARGET/release/examples/gen_lanl" "$LINES" > "$FILE"
fi
BYTES=$(stat -L -c %s "$FILE")
cat "$FILE" > /dev/null   # warm the page cache: both sides read from memory

secs() { /usr/bin/time -f "%e %M %U %S" "$@" 2>&1 >/dev/null | tail -1; }

read -r WC_S WC_KB _ _ < <(secs wc -l "$FILE")
rm -rf "$DATA/case"
read -r HS_S HS_KB HS_U HS_SYS < <(secs "$BIN" ingest "$FILE" --case "$DATA/case")
EVENTS=$("$BIN" case info --case "$DATA/case" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')

python3 - "$LINES" "$BYTES" "$WC_S" "$HS_S" "$HS_KB" "$EVENTS" "$(nproc)" "$HS_U" "$HS_SYS" <<'PY'
import sys
lines, size, wc, hs, kb, events, cores, user, sys_ = sys.argv[1:]
lines, size, wc, hs, kb, events, cores = int(lines), int(size), float(wc), float(hs), int(kb), int(events), int(cores)
cpu = float(user) + float(sys_)
rate = events / hs
print(f"file          {lines:,} lines, {size/1e9:.2f} GB")
print(f"wc -l         {wc:.2f} s  ({lines/wc/1e6:.1f} M lines/s)")
print(f"hopscope      {hs:.2f} s  ({rate/1e6:.2f} M events/s end to end, {rate/cores/1e6:.2f} M/s per core on {cores} cores)")
print(f"CPU           {cpu:.2f} s user + sys  ({events/cpu/1e6:.2f} M events per CPU-second)")
print(f"ratio         {hs/wc:.1f}x wc -l")
print(f"peak RSS      {kb/1024:.0f} MiB = {kb*1024/events:.1f} bytes/event")
print(f"target        >= 5 M events/s end to end, <= 40 bytes/event: {'MET' if rate >= 5e6 and kb*1024/events <= 40 else 'NOT MET'}")
PY
